// Camera scanning: the browser's BarcodeDetector where it exists; elsewhere (Chromium on Linux, Firefox)
// frames are sent to the server, which reads them with zxing-cpp (POST /api/v1/decode).

const LOCAL_INTERVAL_MS = 150;
const REMOTE_INTERVAL_MS = 350;
const REPEAT_QUIET_MS = 3000;

async function localDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    const formats = ["code_128", "qr_code", "data_matrix", "code_39"].filter((f) => supported.includes(f));
    return formats.includes("code_128") ? new window.BarcodeDetector({ formats }) : null;
  } catch (_) {
    return null;
  }
}

export class CameraScanner {
  constructor(video, { key, onText, onState }) {
    this.video = video;
    this.key = key;
    this.onText = onText;
    this.onState = onState;
    this.stream = null;
    this.timer = null;
    this.lastText = null;
    this.lastAt = 0;
    this.canvas = document.createElement("canvas");
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.onState("This browser cannot use the camera here.");
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (error) {
      this.onState(`No camera: ${error.message || error.name}`);
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    this.detector = await localDetector();
    this.onState(this.detector ? "Point at a label" : "Point at a label (read by the server)");
    this.tick();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  schedule(ms) {
    if (this.stream) this.timer = setTimeout(() => this.tick(), ms);
  }

  found(texts) {
    const now = Date.now();
    for (const text of texts) {
      if (text === this.lastText && now - this.lastAt < REPEAT_QUIET_MS) continue;
      this.lastText = text;
      this.lastAt = now;
      this.onText(text);
      return;
    }
  }

  async tick() {
    if (!this.stream || this.video.readyState < 2) return this.schedule(LOCAL_INTERVAL_MS);
    try {
      if (this.detector) {
        const codes = await this.detector.detect(this.video);
        this.found(codes.map((c) => c.rawValue));
        return this.schedule(LOCAL_INTERVAL_MS);
      }
      this.found(await this.decodeRemotely());
    } catch (_) {
      // A frame that fails is just skipped; the next one will do.
    }
    this.schedule(REMOTE_INTERVAL_MS);
  }

  async decodeRemotely() {
    const { videoWidth: w, videoHeight: h } = this.video;
    const scale = Math.min(1, 1280 / Math.max(w, h));
    this.canvas.width = Math.round(w * scale);
    this.canvas.height = Math.round(h * scale);
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob || !navigator.onLine) return [];
    const response = await fetch("/api/v1/decode", {
      method: "POST",
      headers: { "Content-Type": "image/jpeg", Authorization: `Bearer ${this.key}` },
      body: blob,
    });
    if (!response.ok) return [];
    const document = await response.json();
    return document.barcodes.map((b) => b.text);
  }
}
