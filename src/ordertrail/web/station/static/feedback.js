// Sound and vibration for each kind of scan result: distinct enough to tell apart without looking.

// kind -> [tones as [frequency Hz, duration ms]], vibration pattern (ms).
const PATTERNS = {
  ok: { tones: [[1046, 90]], vibrate: [60] },
  saved: { tones: [[784, 90]], vibrate: [60] },
  duplicate: { tones: [[660, 90], [0, 60], [660, 90]], vibrate: [80, 60, 80] },
  unusual: { tones: [[880, 120], [587, 200]], vibrate: [150, 80, 150] },
  blocked: { tones: [[587, 150], [392, 300]], vibrate: [150, 80, 300] },
  unmatched: { tones: [[523, 120], [392, 120], [262, 220]], vibrate: [200, 100, 200] },
  invalid: { tones: [[196, 450]], vibrate: [400] },
  error: { tones: [[196, 200], [0, 80], [196, 200]], vibrate: [250, 100, 250] },
  undone: { tones: [[523, 80], [392, 120]], vibrate: [40, 40, 40] },
};

let context = null;

function audio() {
  if (!context) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    context = new Context();
  }
  if (context.state === "suspended") context.resume().catch(() => {});
  return context;
}

// Browsers start audio only after a user gesture: call this from the first key press or tap.
export function unlock() {
  audio();
}

function play(tones) {
  const ctx = audio();
  if (!ctx) return;
  let at = ctx.currentTime + 0.01;
  for (const [frequency, ms] of tones) {
    const seconds = ms / 1000;
    if (frequency > 0) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.setValueAtTime(frequency, at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
      gain.gain.setValueAtTime(0.25, at + seconds - 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + seconds + 0.01);
    }
    at += seconds;
  }
}

export function signal(kind) {
  const pattern = PATTERNS[kind] || PATTERNS.error;
  try {
    play(pattern.tones);
  } catch (_) {
    // No sound is better than no scan: the banner still shows.
  }
  if (navigator.vibrate) navigator.vibrate(pattern.vibrate);
}
