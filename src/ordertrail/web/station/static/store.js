// The device's durable state in IndexedDB: the outbox of scans not yet answered by the server ("queue")
// and the recent scans shown on screen ("history"). A scan is written here before anything is sent.

const DB_NAME = "ordertrail-station";
const DB_VERSION = 1;
const HISTORY_DAYS = 3;

let opening = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        const queue = db.createObjectStore("queue", { keyPath: "event_id" });
        queue.createIndex("queued_at", "queued_at");
        const history = db.createObjectStore("history", { keyPath: "event_id" });
        history.createIndex("at", "at");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

async function tx(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(stores, mode);
    let result;
    Promise.resolve(work(t)).then((value) => { result = value; }, reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
}

// Queue a scan and record it in the history, in one transaction: both or neither.
export function enqueue(body, entry) {
  return tx(["queue", "history"], "readwrite", (t) => {
    t.objectStore("queue").put({ event_id: body.event_id, queued_at: Date.now(), body });
    t.objectStore("history").put(entry);
  });
}

export function queued(limit) {
  return tx(["queue"], "readonly", (t) =>
    request(t.objectStore("queue").index("queued_at").getAll(null, limit)));
}

export function queueSize() {
  return tx(["queue"], "readonly", (t) => request(t.objectStore("queue").count()));
}

// The server answered these for good: drop them from the queue and note the outcome in the history.
export function settle(results) {
  return tx(["queue", "history"], "readwrite", async (t) => {
    const queue = t.objectStore("queue");
    const history = t.objectStore("history");
    for (const result of results) {
      queue.delete(result.event_id);
      const entry = await request(history.get(result.event_id));
      if (entry) history.put({ ...entry, ...result.update });
    }
  });
}

export function putHistory(entry) {
  return tx(["history"], "readwrite", (t) => { t.objectStore("history").put(entry); });
}

export function updateHistory(eventId, changes) {
  return tx(["history"], "readwrite", async (t) => {
    const store = t.objectStore("history");
    const entry = await request(store.get(eventId));
    if (entry) store.put({ ...entry, ...changes });
  });
}

// Recent history, newest first; older entries are pruned on the way.
export function history() {
  return tx(["history"], "readwrite", async (t) => {
    const store = t.objectStore("history");
    const horizon = Date.now() - HISTORY_DAYS * 86400000;
    const old = await request(store.index("at").getAllKeys(IDBKeyRange.upperBound(horizon)));
    for (const key of old) store.delete(key);
    const all = await request(store.index("at").getAll(IDBKeyRange.lowerBound(horizon, true)));
    return all.reverse();
  });
}

export function clearAll() {
  return tx(["queue", "history"], "readwrite", (t) => {
    t.objectStore("queue").clear();
    t.objectStore("history").clear();
  });
}
