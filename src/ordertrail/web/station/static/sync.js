// Sends the queued scans in batches until the server has answered each one for good. Network errors,
// 5xx and 429 are retried with exponential backoff and jitter; a scan leaves the queue only with its
// per-item outcome. The server deduplicates by event_id, so a batch resent after a lost answer is harmless.

import * as store from "./store.js";

const BATCH = 200;
const MAX_DELAY_MS = 60000;
const TIMEOUT_MS = 20000;

export class Sender {
  constructor({ key, onResults, onAuthFailed, onState }) {
    this.key = key;
    this.onResults = onResults;
    this.onAuthFailed = onAuthFailed;
    this.onState = onState;
    this.failures = 0;
    this.timer = null;
    this.running = false;
    this.again = false;
    this.stopped = false;
    this.batch = BATCH;
  }

  // Send now (after a scan, when the network comes back, on start).
  kick() {
    if (this.stopped) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.run();
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async run() {
    this.running = true;
    try {
      do {
        this.again = false;
        const outcome = await this.sendOnce();
        if (outcome === "retry") {
          this.failures += 1;
          const base = Math.min(MAX_DELAY_MS, 1000 * 2 ** (this.failures - 1));
          const delay = Math.round(base * (0.5 + Math.random() / 2));
          this.onState({ state: "retrying", retryInMs: delay });
          this.timer = setTimeout(() => { this.timer = null; this.kick(); }, delay);
          return;
        }
        if (outcome === "auth" || outcome === "offline") return; // the 'online' event or the next kick resumes
        if (outcome === "more") this.again = true;
      } while (this.again && !this.stopped);
      this.onState({ state: "idle" });
    } finally {
      this.running = false;
    }
  }

  // "done" (queue empty), "more" (sent a batch, maybe more waiting), "retry", "auth" or "offline".
  async sendOnce() {
    const items = await store.queued(this.batch);
    if (items.length === 0) {
      this.failures = 0;
      return "done";
    }
    // navigator.onLine false means surely offline (true only means "maybe"): wait for the 'online' event
    // rather than spend retries and grow the backoff. It also keeps a page that a service worker served
    // while offline from sending through the worker's network, which the browser's offline mode may not cover.
    if (navigator.onLine === false) {
      this.onState({ state: "offline" });
      return "offline";
    }
    this.onState({ state: "sending" });
    let response;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      response = await fetch("/api/v1/scans/batch", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.key}` },
        body: JSON.stringify({ scans: items.map((item) => item.body) }),
        signal: abort.signal,
      });
    } catch (_) {
      return "retry";
    } finally {
      clearTimeout(timeout);
    }
    if (response.status === 401 || response.status === 403) {
      this.onAuthFailed(response.status);
      return "auth";
    }
    if (response.status === 413 && this.batch > 1) {
      this.batch = Math.max(1, Math.floor(this.batch / 2));
      return "more";
    }
    if (!response.ok) return "retry";
    let document;
    try {
      document = await response.json();
    } catch (_) {
      return "retry";
    }
    const results = (document.results || []).map((result, index) => ({ ...result, event_id: items[index].event_id }));
    this.failures = 0;
    await this.onResults(results);
    return "more";
  }
}
