// The scanner station: sign-in, modes, one always-focused scan input, feedback, the offline queue, the
// driver's proof of delivery and failed attempts, undo. No inline script or style: runs under a strict CSP.

import { CameraScanner } from "./camera.js";
import { signal, unlock } from "./feedback.js";
import { SignaturePad, photoJpeg } from "./signature.js";
import * as store from "./store.js";
import { Sender } from "./sync.js";
import { display, fromBarcodeText, normalize } from "./tracking-number.js";

const config = JSON.parse(document.getElementById("station-config").textContent);
const MODES = new Map(config.modes.map((mode) => [mode.id, mode]));
const DEVICE_KEY = "ordertrail.station.device";
const PREFS_KEY = "ordertrail.station.prefs";
const DUPLICATE_WINDOW_MS = 12 * 3600 * 1000;
const RESULT_WAIT_MS = 2500;
const RECORDED = new Set(["pending", "created", "duplicate"]);
// Effects of a scan the server kept in the log but did not apply: not a parcel the worker moved.
const NOT_APPLIED = new Set(["after_terminal", "regressive", "not_allowed"]);

const $ = (id) => document.getElementById(id);
const state = {
  device: readJson(DEVICE_KEY),
  prefs: { mode: "packed", facility: "", city: "", country: "", policies: {}, ...readJson(PREFS_KEY) },
  history: [],
  sender: null,
  waiters: new Map(), // event_id -> resolve(result), for feedback on scans answered quickly
  bannerFor: null, // event_id the banner shows
  sheet: null,
  camera: null,
  undoArmedUntil: 0,
  position: null,
};

function readJson(name) {
  try {
    return JSON.parse(localStorage.getItem(name)) || null;
  } catch (_) {
    return null;
  }
}

function savePrefs() {
  localStorage.setItem(PREFS_KEY, JSON.stringify(state.prefs));
}

function statusLabel(status) {
  return config.status_labels[status] || status;
}

// RFC 3339 with the device's UTC offset, e.g. 2026-05-04T14:03:11.250+02:00.
function localIso(date) {
  const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

function ago(moment) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(moment).getTime()) / 1000));
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(moment).toLocaleString();
}

function currentMode() {
  return MODES.get(state.prefs.mode) || config.modes[0];
}

function policyOf(mode) {
  return state.prefs.policies[mode.id] || mode.policy;
}

function location(extra = {}) {
  const where = {};
  const facility = state.device?.facility || state.prefs.facility.trim();
  if (facility) where.facility = facility;
  if (state.prefs.city.trim()) where.city = state.prefs.city.trim();
  if (/^[A-Za-z]{2}$/.test(state.prefs.country.trim())) where.country = state.prefs.country.trim().toUpperCase();
  return { ...where, ...extra };
}

// ---- banner and lists ------------------------------------------------------------------------------

function parcelLine(parcel) {
  if (!parcel) return "";
  const parts = [`Order ${parcel.order_number}`];
  if (parcel.destination?.city) parts.push(`→ ${parcel.destination.city}`);
  parts.push(`parcel ${parcel.position} of ${parcel.parcel_count}`);
  return parts.join(" · ");
}

function showBanner({ kind, title, detail = "", parcel = null, eventId = null, action = null }) {
  const banner = $("banner");
  banner.dataset.kind = kind;
  $("banner-title").textContent = title;
  $("banner-detail").textContent = detail;
  $("banner-parcel").textContent = parcelLine(parcel);
  const button = $("banner-action");
  button.hidden = !action;
  button.onclick = null;
  if (action) {
    button.textContent = action.label;
    button.onclick = () => {
      button.hidden = true;
      action.run();
    };
  }
  state.bannerFor = eventId;
  // Restart the flash animation for every scan, even one with the same kind as the last.
  banner.classList.remove("flash");
  void banner.offsetWidth;
  banner.classList.add("flash");
}

const OUTCOME_TEXT = {
  pending: "waiting",
  created: "recorded",
  duplicate: "recorded",
  unmatched: "unknown number",
  invalid: "refused",
  conflict: "refused",
  "bad-check": "check character wrong",
  "bad-format": "not a tracking number",
  "local-duplicate": "already scanned",
  blocked: "blocked",
};

function renderHistory() {
  const list = $("recent");
  list.replaceChildren();
  for (const entry of state.history.slice(0, 15)) {
    const item = document.createElement("li");
    item.className = `recent-item kind-${entry.kind || "ok"}`;
    if (entry.voided) item.classList.add("voided");
    item.dataset.eventId = entry.event_id;
    item.dataset.outcome = entry.outcome;
    const time = document.createElement("span");
    time.className = "recent-time";
    time.textContent = new Date(entry.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    const number = document.createElement("span");
    number.className = "recent-tn";
    number.textContent = entry.tn_display || entry.tn;
    const what = document.createElement("span");
    what.className = "recent-what";
    what.textContent = entry.correction ? "Undo" : MODES.get(entry.mode)?.label || entry.mode;
    const outcome = document.createElement("span");
    outcome.className = "recent-outcome";
    outcome.textContent = entry.voided ? "undone" : OUTCOME_TEXT[entry.outcome] || entry.outcome;
    item.append(time, number, what, outcome);
    list.append(item);
  }
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  $("today-count").textContent = String(
    state.history.filter(
      (e) => e.at >= midnight.getTime() && RECORDED.has(e.outcome) && e.applied !== false && !e.correction && !e.voided,
    ).length,
  );
  $("undo").disabled = !lastUndoable();
}

async function renderWaiting() {
  const waiting = await store.queueSize();
  $("waiting-count").textContent = String(waiting);
  $("waiting-count").parentElement.classList.toggle("has-waiting", waiting > 0);
}

function renderNet(text) {
  const online = navigator.onLine;
  $("net").dataset.state = online ? "online" : "offline";
  $("net-text").textContent = text || (online ? "Online" : "Offline: scans are saved");
}

function renderModes() {
  const box = $("modes");
  box.replaceChildren();
  for (const mode of config.modes) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `mode mode-${mode.id}`;
    button.dataset.mode = mode.id;
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", String(mode.id === currentMode().id));
    button.textContent = mode.label;
    button.addEventListener("click", () => {
      state.prefs.mode = mode.id;
      savePrefs();
      renderModes();
      renderWhere();
      focusInput();
    });
    box.append(button);
  }
  document.body.dataset.mode = currentMode().id;
}

function renderWhere() {
  const mode = currentMode();
  const where = location();
  const place = [where.facility, [where.city, where.country].filter(Boolean).join(", ")].filter(Boolean).join(" · ");
  $("where").textContent = `${mode.label.toUpperCase()} — ${place || "no location set (Settings)"}`;
  $("device-name").textContent = state.device ? state.device.name : "";
}

// ---- scanning --------------------------------------------------------------------------------------

let chain = Promise.resolve();

function enqueueScan(raw) {
  // One scan at a time, in the order they were scanned, so a sheet (reason, proof) holds the next ones.
  chain = chain.then(() => handleScan(raw)).catch((error) => {
    showBanner({ kind: "error", title: "SCAN NOT SAVED", detail: String(error?.message || error) });
    signal("error");
  });
  return chain;
}

async function handleScan(raw) {
  const text = fromBarcodeText(raw);
  if (!text) return;
  const checked = normalize(text);
  const mode = currentMode();
  if (!checked.ok) {
    const badCheck = checked.error === "check";
    await remember({
      event_id: crypto.randomUUID(),
      tn: text.toUpperCase(),
      mode: mode.id,
      status: mode.status,
      at: Date.now(),
      outcome: badCheck ? "bad-check" : "bad-format",
      kind: "invalid",
    });
    showBanner({
      kind: badCheck ? "invalid-check" : "invalid-format",
      title: badCheck ? "CHECK CHARACTER WRONG" : "NOT A TRACKING NUMBER",
      detail: `${text.toUpperCase()} — ${checked.message}`,
    });
    signal("invalid");
    return;
  }
  const tn = checked.number;
  const scannedAt = new Date();
  const earlier = state.history.find(
    (e) =>
      e.tn === tn && e.status === mode.status && RECORDED.has(e.outcome) && !e.correction && !e.voided &&
      e.at > Date.now() - DUPLICATE_WINDOW_MS,
  );
  if (earlier) {
    await remember({ event_id: crypto.randomUUID(), tn, tn_display: display(tn), mode: mode.id, status: mode.status,
      at: Date.now(), outcome: "local-duplicate", kind: "duplicate", parcel: earlier.parcel });
    showBanner({
      kind: "duplicate",
      title: `ALREADY ${mode.done}`,
      detail: `${display(tn)} — ${mode.label.toLowerCase()} ${ago(earlier.at)} on this device; not recorded again`,
      parcel: earlier.parcel,
    });
    signal("duplicate");
    return;
  }
  if (policyOf(mode) === "block" && navigator.onLine) {
    const summary = await parcelSummary(tn);
    if (summary && summary.status === mode.status && !mode.repeats) {
      showBanner({
        kind: "duplicate",
        title: `ALREADY ${mode.done}`,
        detail: `${display(tn)} — ${statusLabel(summary.status).toLowerCase()} ${ago(summary.status_changed_at)}`,
        parcel: summary,
      });
      signal("duplicate");
      return;
    }
    if (summary && !mode.usual_after.includes(summary.status)) {
      showBanner({
        kind: "blocked",
        title: "BLOCKED — NOT RECORDED",
        detail: `${display(tn)} is ${statusLabel(summary.status).toLowerCase()}: ${mode.label.toLowerCase()} would skip a step`,
        parcel: summary,
        action: { label: "Record anyway", run: () => { chain = chain.then(() => proceed(mode, tn, scannedAt)); } },
      });
      signal("blocked");
      return;
    }
  }
  await proceed(mode, tn, scannedAt);
}

async function parcelSummary(tn) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 2500);
  try {
    const response = await fetch(`/api/v1/parcels/${tn}`, {
      headers: { Authorization: `Bearer ${state.device.key}` },
      signal: abort.signal,
    });
    return response.ok ? await response.json() : null;
  } catch (_) {
    return null; // offline or slow: record it, and judge it when the server answers
  } finally {
    clearTimeout(timer);
  }
}

async function proceed(mode, tn, scannedAt) {
  const body = {
    event_id: crypto.randomUUID(),
    tracking_number: tn,
    status: mode.status,
    occurred_at: localIso(scannedAt),
  };
  if (mode.substatus) body.substatus = mode.substatus;
  if (mode.needs === "reason") {
    const reason = await askReason(mode, tn);
    if (!reason) return cancelled(tn);
    body.reason = reason;
  } else if (mode.needs === "proof") {
    const proof = await askProof(tn);
    if (!proof) return cancelled(tn);
    body.proof = proof;
  }
  const extra = mode.needs && state.position ? { lat: state.position.lat, lon: state.position.lon } : {};
  const where = location(extra);
  if (Object.keys(where).length) body.location = where;
  await record(body, mode);
}

function cancelled(tn) {
  showBanner({ kind: "idle", title: "Cancelled", detail: `${display(tn)} was not recorded` });
}

async function remember(entry) {
  await store.putHistory(entry);
  state.history.unshift(entry);
  renderHistory();
}

async function record(body, mode, { correction = false, voids = null } = {}) {
  const entry = {
    event_id: body.event_id,
    tn: body.tracking_number,
    tn_display: display(body.tracking_number),
    mode: mode.id,
    status: body.status,
    at: Date.now(),
    occurred_at: body.occurred_at,
    outcome: "pending",
    kind: "saved",
    correction,
    voids,
  };
  await store.enqueue(body, entry); // durable before anything is sent
  state.history.unshift(entry);
  renderHistory();
  renderWaiting();
  const answered = navigator.onLine ? waitForResult(body.event_id) : Promise.resolve(null);
  if (!correction) {
    showBanner({ kind: "sending", title: `${mode.done} …`, detail: display(body.tracking_number), eventId: body.event_id });
  }
  state.sender.kick();
  // Not awaited: the next scan must not wait for this one's answer.
  answered.then((result) => {
    if (correction) return;
    if (result) {
      feedbackFor(entry, mode, result, { sound: true });
    } else if (state.bannerFor === body.event_id) {
      showBanner({
        kind: "saved",
        title: `SAVED — ${mode.done}`,
        detail: `${display(body.tracking_number)} — ${navigator.onLine ? "sending…" : "offline: sent when back online"}`,
        eventId: body.event_id,
      });
      signal("saved");
    }
  });
}

function waitForResult(eventId) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      state.waiters.delete(eventId);
      resolve(null);
    }, RESULT_WAIT_MS);
    state.waiters.set(eventId, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

// What a server answer means for the person scanning: kind (colour, sound), headline and detail.
function judge(mode, result) {
  const tn = display(result.tracking_number || "");
  if (result.outcome === "unmatched") {
    return { kind: "unmatched", title: "UNKNOWN NUMBER", detail: `${tn} — no such parcel yet: kept as unmatched, set it aside` };
  }
  if (result.outcome === "invalid" || result.outcome === "conflict") {
    return { kind: "error", title: "REFUSED BY SERVER", detail: result.error || result.outcome };
  }
  const previous = result.previous;
  const effect = result.effect ?? result.event?.effect;
  if (previous && previous.status === mode.status && !mode.repeats) {
    return { kind: "duplicate", title: `ALREADY ${mode.done}`, detail: `${tn} — ${previous.status_label.toLowerCase()} ${ago(previous.since)}` };
  }
  if (NOT_APPLIED.has(effect)) {
    const was = previous ? previous.status_label.toLowerCase() : "ahead";
    return { kind: "unusual", title: "UNUSUAL STEP — NOT APPLIED", detail: `${tn} is already ${was}; the scan is kept in the log` };
  }
  if (previous && !mode.usual_after.includes(previous.status)) {
    return {
      kind: "unusual",
      title: "UNUSUAL STEP",
      detail: `${tn} — ${mode.label.toLowerCase()} straight after ${previous.status_label.toLowerCase()}`,
    };
  }
  return { kind: "ok", title: `${mode.done} ✓`, detail: tn };
}

function feedbackFor(entry, mode, result, { sound }) {
  const verdict = judge(mode, { ...result, tracking_number: entry.tn });
  if (sound || state.bannerFor === entry.event_id) {
    showBanner({ ...verdict, parcel: result.parcel, eventId: entry.event_id });
  }
  if (sound) signal(verdict.kind);
  return verdict;
}

async function onResults(results) {
  const updates = results.map((result) => {
    const entry = state.history.find((e) => e.event_id === result.event_id);
    const mode = MODES.get(entry?.mode) || currentMode();
    const verdict = entry && !entry.correction ? judge(mode, { ...result, tracking_number: entry.tn }) : { kind: "ok" };
    const applied = !NOT_APPLIED.has(result.effect ?? result.event?.effect);  // "scanned today" counts only these
    return {
      event_id: result.event_id,
      update: { outcome: result.outcome, kind: verdict.kind, applied, parcel: result.parcel || entry?.parcel },
    };
  });
  await store.settle(updates);
  for (const { event_id, update } of updates) {
    const entry = state.history.find((e) => e.event_id === event_id);
    if (entry) Object.assign(entry, update);
  }
  renderHistory();
  renderWaiting();
  for (const result of results) {
    const waiter = state.waiters.get(result.event_id);
    if (waiter) {
      state.waiters.delete(result.event_id);
      waiter(result);
    } else {
      // Answered after the device was offline: update the banner quietly if it still shows this scan.
      const entry = state.history.find((e) => e.event_id === result.event_id);
      if (entry && !entry.correction && state.bannerFor === entry.event_id) {
        feedbackFor(entry, MODES.get(entry.mode) || currentMode(), result, { sound: false });
      }
    }
  }
}

// ---- undo -------------------------------------------------------------------------------------------

function lastUndoable() {
  const last = state.history.find((e) => RECORDED.has(e.outcome) || e.outcome === "unmatched");
  return last && !last.correction && !last.voided && RECORDED.has(last.outcome) ? last : null;
}

async function undo() {
  const target = lastUndoable();
  if (!target) return;
  const button = $("undo");
  if (Date.now() > state.undoArmedUntil) {
    state.undoArmedUntil = Date.now() + 4000;
    button.textContent = `Tap again to undo ${target.tn_display}`;
    button.classList.add("armed");
    setTimeout(() => {
      button.textContent = "Undo last";
      button.classList.remove("armed");
    }, 4000);
    return;
  }
  state.undoArmedUntil = 0;
  button.textContent = "Undo last";
  button.classList.remove("armed");
  target.voided = true;
  await store.updateHistory(target.event_id, { voided: true });
  const body = {
    event_id: crypto.randomUUID(),
    tracking_number: target.tn,
    status: "correction",
    occurred_at: localIso(new Date()),
    voids_event_id: target.event_id,
  };
  const where = location();
  if (Object.keys(where).length) body.location = where;
  await record(body, MODES.get(target.mode) || currentMode(), { correction: true, voids: target.event_id });
  // Only now is the correction durable on the device (queued in IndexedDB), so only now may the banner say so.
  showBanner({ kind: "undone", title: "UNDONE", detail: `${MODES.get(target.mode)?.label || ""} of ${target.tn_display} voided (correction saved)` });
  signal("undone");
}

// ---- sheets: reason, proof, settings, camera ---------------------------------------------------------

function openSheet(id) {
  closeSheet();
  state.sheet = $(id);
  state.sheet.hidden = false;
  document.body.classList.add("sheet-open");
}

function closeSheet() {
  if (state.sheet) {
    state.sheet.hidden = true;
    state.sheet.dispatchEvent(new Event("closed"));
  }
  state.sheet = null;
  document.body.classList.remove("sheet-open");
  if (state.camera) {
    state.camera.stop();
    state.camera = null;
  }
}

function untilClosed(sheet, onReady) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      sheet.removeEventListener("closed", onClosed);
      resolve(value);
    };
    const onClosed = () => finish(null);
    sheet.addEventListener("closed", onClosed);
    onReady((value) => {
      finish(value);
      closeSheet();
      focusInput();
    });
  });
}

function locate() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      state.position = {
        lat: Number(position.coords.latitude.toFixed(6)),
        lon: Number(position.coords.longitude.toFixed(6)),
        accuracy: Math.round(position.coords.accuracy),
      };
      $("geo-state").textContent = `Position: ${state.position.lat}, ${state.position.lon} (±${state.position.accuracy} m)`;
    },
    () => {
      $("geo-state").textContent = "Position: not shared";
    },
    { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 },
  );
}

function askReason(mode, tn) {
  $("reason-title").textContent = mode.status === "exception" ? "What is wrong?" : "Why could it not be delivered?";
  $("reason-tn").textContent = display(tn);
  const box = $("reasons");
  box.replaceChildren();
  openSheet("reason-sheet");
  locate();
  return untilClosed($("reason-sheet"), (done) => {
    for (const reason of config.reasons[mode.status] || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn reason";
      button.dataset.reason = reason.code;
      button.textContent = reason.label;
      button.addEventListener("click", () => done(reason.code));
      box.append(button);
    }
  });
}

let signaturePad = null;
let photo = null;

function askProof(tn) {
  $("proof-tn").textContent = display(tn);
  $("proof-form").reset();
  photo = null;
  $("photo-state").textContent = "No photo";
  openSheet("proof-sheet");
  signaturePad.fit();
  locate();
  $("recipient").focus();
  return untilClosed($("proof-sheet"), (done) => {
    $("proof-form").onsubmit = (event) => {
      event.preventDefault();
      const name = $("recipient").value.trim();
      if (!name) return;
      const proof = { recipient_name: name };
      const signature = signaturePad.png();
      if (signature) proof.signature_png_base64 = signature;
      if (photo) proof.photo_jpeg_base64 = photo;
      done(proof);
    };
  });
}

function openSettings() {
  $("set-facility").value = state.device?.facility || state.prefs.facility;
  $("set-facility").disabled = Boolean(state.device?.facility);
  $("facility-bound").hidden = !state.device?.facility;
  $("facility-bound").textContent = "This device's key is bound to this facility.";
  $("set-city").value = state.prefs.city;
  $("set-country").value = state.prefs.country;
  const box = $("policies");
  box.replaceChildren();
  for (const mode of config.modes) {
    const row = document.createElement("label");
    row.className = "policy";
    const name = document.createElement("span");
    name.textContent = mode.label;
    const select = document.createElement("select");
    select.dataset.mode = mode.id;
    for (const value of ["warn", "block"]) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value === "warn" ? "Warn" : "Block";
      option.selected = policyOf(mode) === value;
      select.append(option);
    }
    row.append(name, select);
    box.append(row);
  }
  openSheet("settings-sheet");
}

async function openCamera() {
  openSheet("camera-sheet");
  state.camera = new CameraScanner($("camera-video"), {
    key: state.device.key,
    onText: (text) => enqueueScan(text),
    onState: (text) => { $("camera-state").textContent = text; },
  });
  await state.camera.start();
}

// ---- labels to print: the console's list, for a packing bench ----------------------------------------
// Online only: the offline queue is for scans. The list and the PDF come from the console's API routes, with the
// device's key (a key paired with a merchant sees that merchant's parcels), so the console sees them printed by
// this device. One Idempotency-Key per list shown: a retry after a lost answer prints the same labels, recorded once.

const labels = { items: [], key: null, pdfUrl: null };

function labelsState(text) {
  $("labels-state").textContent = text;
}

function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${state.device.key}`, ...extra };
}

async function problemDetail(response) {
  const problem = await response.json().catch(() => ({}));
  return problem.detail || `The server answered ${response.status}.`;
}

function renderLabels() {
  const list = $("labels-list");
  list.replaceChildren();
  for (const row of labels.items) {
    const item = document.createElement("li");
    item.className = "label-row";
    item.dataset.trackingNumber = row.tracking_number;
    const number = document.createElement("span");
    number.className = "label-tn";
    number.textContent = display(row.tracking_number);
    const what = document.createElement("span");
    what.className = "label-what";
    what.textContent = `Order ${row.order_number} · ${row.position} of ${row.parcel_count} · ${statusLabel(row.status)}`;
    item.append(number, what);
    list.append(item);
  }
  const count = labels.items.length;
  $("labels-print").hidden = count === 0;
  $("print-labels").textContent = `Print these ${count} label${count === 1 ? "" : "s"}`;
}

async function loadLabels() {
  labels.items = [];
  renderLabels();
  if (!navigator.onLine) {
    return labelsState("Offline: the labels to print need a connection. Scans are still saved and sent later.");
  }
  labelsState("Loading…");
  let response;
  try {
    response = await fetch("/api/v1/labels/to-print", { headers: authHeaders() });
  } catch (_) {
    return labelsState("No connection: the labels to print need the network. Scans are still saved and sent later.");
  }
  if (!response.ok) return labelsState(await problemDetail(response));
  labels.items = (await response.json()).items;
  labels.key = crypto.randomUUID();
  renderLabels();
  const count = labels.items.length;
  labelsState(count ? `${count} label${count === 1 ? "" : "s"} to print.` : "Nothing to print: every parcel has its label.");
}

async function printLabels() {
  const numbers = labels.items.map((row) => row.tracking_number);
  if (!numbers.length) return;
  const button = $("print-labels");
  button.disabled = true;
  labelsState("Printing…");
  try {
    let response;
    try {
      response = await fetch("/api/v1/labels/print", {
        method: "POST",
        headers: authHeaders({ "Content-Type": "application/json", "Idempotency-Key": labels.key }),
        body: JSON.stringify({ tracking_numbers: numbers, layout: $("labels-layout").value }),
      });
    } catch (_) {
      // The same key stays: printing again records these labels once, whether or not the server got this one.
      return labelsState("No connection: try again when online (the labels are marked printed once).");
    }
    if (!response.ok) return labelsState(await problemDetail(response));
    const pdf = await response.blob();
    if (labels.pdfUrl) URL.revokeObjectURL(labels.pdfUrl);
    labels.pdfUrl = URL.createObjectURL(pdf);
    const link = $("labels-pdf");
    link.href = labels.pdfUrl;
    $("labels-done").hidden = false;
    link.click(); // the download: the bench's printer prints it from there
    await loadLabels();
    labelsState(`${numbers.length} label${numbers.length === 1 ? "" : "s"} in labels.pdf, marked printed. ${$("labels-state").textContent}`);
  } finally {
    button.disabled = false;
  }
}

function openLabels() {
  openSheet("labels-sheet");
  $("labels-done").hidden = true;
  $("labels-title").focus();
  loadLabels();
}

// ---- sign-in ----------------------------------------------------------------------------------------

function signinError(text) {
  $("signin-error").textContent = text;
  $("signin-error").hidden = !text;
}

async function pair(event) {
  event.preventDefault();
  unlock();
  signinError("");
  let response;
  try {
    response = await fetch("/api/v1/pairing/exchange", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: $("pair-code").value }),
    });
  } catch (_) {
    return signinError("No connection: pairing needs the network.");
  }
  const document_ = await response.json().catch(() => ({}));
  if (response.status === 201) {
    return signedIn({ key: document_.key, name: document_.name, facility: document_.facility });
  }
  if (response.status === 429) return signinError(`Too many wrong codes. Wait ${response.headers.get("Retry-After") || "a few"} s.`);
  if (response.status === 422) return signinError("Type the 8-character code, e.g. ABCD-EFGH.");
  signinError("That code is not valid: mistyped, already used or expired. Ask for a new one.");
}

async function keySignin(event) {
  event.preventDefault();
  unlock();
  signinError("");
  const key = $("key-input").value.trim();
  let response;
  try {
    response = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${key}` } });
  } catch (_) {
    return signinError("No connection: signing in needs the network.");
  }
  if (!response.ok) return signinError("That key is not valid (unknown or revoked).");
  const me = await response.json();
  if (me.role !== "scanner" && me.role !== "admin") return signinError("Use a scanner key.");
  signedIn({ key, name: me.name, facility: me.facility });
}

function signedIn(device) {
  state.device = device;
  localStorage.setItem(DEVICE_KEY, JSON.stringify(device));
  $("pair-form").reset();
  $("key-form").reset();
  start();
}

async function signOut() {
  const waiting = await store.queueSize();
  if (waiting > 0) {
    closeSheet();
    showBanner({ kind: "error", title: "CANNOT SIGN OUT YET", detail: `${waiting} scans are still waiting to be sent` });
    signal("error");
    return;
  }
  state.sender?.stop();
  localStorage.removeItem(DEVICE_KEY);
  state.device = null;
  closeSheet();
  showSignin();
}

function showSignin(message = "") {
  $("station").hidden = true;
  $("open-settings").hidden = true;
  $("signin").hidden = false;
  signinError(message);
  $("pair-code").focus();
}

// ---- start -----------------------------------------------------------------------------------------

function focusInput() {
  if (!state.sheet && !$("station").hidden) $("scan-input").focus({ preventScroll: true });
}

async function start() {
  $("signin").hidden = true;
  $("station").hidden = false;
  $("open-settings").hidden = false;
  renderModes();
  renderWhere();
  state.history = await store.history();
  renderHistory();
  await renderWaiting();
  renderNet();
  state.sender?.stop();
  state.sender = new Sender({
    key: state.device.key,
    onResults,
    onAuthFailed: async () => {
      const waiting = await store.queueSize();
      showSignin(`This device's key is no longer valid. ${waiting} scans are kept and will be sent once you sign in again.`);
    },
    onState: ({ state: sending, retryInMs }) => {
      if (sending === "retrying") renderNet(navigator.onLine ? `Server unreachable: retry in ${Math.ceil(retryInMs / 1000)} s` : null);
      else renderNet();
    },
  });
  state.sender.kick();
  focusInput();
}

function wire() {
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    unlock();
    const input = $("scan-input");
    const value = input.value;
    input.value = "";
    if (value.trim()) enqueueScan(value);
  });
  $("scan-input").addEventListener("blur", () => setTimeout(focusInput, 0));
  document.addEventListener("click", (event) => {
    if (!event.target.closest("input, select, textarea, button, label, canvas, summary")) focusInput();
  });
  document.addEventListener("visibilitychange", focusInput);
  $("undo").addEventListener("click", () => undo().finally(focusInput));
  $("open-camera").addEventListener("click", openCamera);
  $("open-settings").addEventListener("click", openSettings);
  $("open-labels").addEventListener("click", openLabels);
  $("labels-refresh").addEventListener("click", loadLabels);
  $("print-labels").addEventListener("click", printLabels);
  for (const button of document.querySelectorAll(".close-sheet")) {
    button.addEventListener("click", () => {
      closeSheet();
      focusInput();
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.sheet) {
      closeSheet();
      focusInput();
    }
  });
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!state.device?.facility) state.prefs.facility = $("set-facility").value.trim();
    state.prefs.city = $("set-city").value.trim();
    state.prefs.country = $("set-country").value.trim().toUpperCase();
    for (const select of $("policies").querySelectorAll("select")) state.prefs.policies[select.dataset.mode] = select.value;
    savePrefs();
    renderWhere();
    closeSheet();
    focusInput();
  });
  $("sign-out").addEventListener("click", signOut);
  $("pair-form").addEventListener("submit", pair);
  $("key-form").addEventListener("submit", keySignin);
  signaturePad = new SignaturePad($("signature"));
  $("sig-clear").addEventListener("click", () => signaturePad.clear());
  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    if (!file) return;
    $("photo-state").textContent = "Reading photo…";
    try {
      photo = await photoJpeg(file);
      $("photo-state").textContent = `Photo added (${Math.round((photo.length * 3) / 4 / 1024)} kB)`;
    } catch (_) {
      photo = null;
      $("photo-state").textContent = "That photo could not be read";
    }
  });
  window.addEventListener("online", () => {
    renderNet();
    state.sender?.kick();
    if (state.sheet === $("labels-sheet")) loadLabels();
  });
  window.addEventListener("offline", () => {
    renderNet();
    if (state.sheet === $("labels-sheet")) loadLabels();
  });
  // Retry now and then even without an 'online' event (captive portals, flaky Wi-Fi).
  setInterval(() => state.sender?.kick(), 30000);
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/scan/sw.js", { scope: "/scan" }).catch(() => {});
}
wire();
if (state.device?.key) start();
else showSignin();
