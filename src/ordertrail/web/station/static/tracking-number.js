// Tracking numbers, as in domain/tracking_number.py: "OT" + 10 symbols + 1 check character from a
// 31-symbol alphabet; the check character is the position-weighted sum modulo 31. Kept in step with the
// Python original by tests/e2e/test_station.py, which compares both on many numbers.

export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTWXYZ";
export const PREFIX = "OT";
export const BODY_LENGTH = 10;
export const LENGTH = PREFIX.length + BODY_LENGTH + 1;
const READ_AS = { O: "0", I: "1", L: "1" };

export function checkCharacter(body) {
  let total = 0;
  for (let i = 0; i < body.length; i++) total += (i + 1) * ALPHABET.indexOf(body[i]);
  return ALPHABET[total % ALPHABET.length];
}

// {ok: true, number} or {ok: false, error: "length" | "prefix" | "character" | "check", message}.
export function normalize(raw) {
  const text = String(raw).toUpperCase().replace(/[ \t-]/g, "");
  if (text.length !== LENGTH || !text.startsWith(PREFIX)) {
    const error = text.length !== LENGTH ? "length" : "prefix";
    return { ok: false, error, message: `A tracking number has ${LENGTH} characters and starts with ${PREFIX}.` };
  }
  const rest = Array.from(text.slice(PREFIX.length), (c) => READ_AS[c] || c).join("");
  for (const symbol of rest) {
    if (!ALPHABET.includes(symbol)) {
      return { ok: false, error: "character", message: "The number contains a character that is never used." };
    }
  }
  const body = rest.slice(0, -1);
  if (checkCharacter(body) !== rest.slice(-1)) {
    return { ok: false, error: "check", message: "Check character does not match: rescan or retype." };
  }
  return { ok: true, number: PREFIX + rest };
}

// "OT 1234 5678 90K", as people read it aloud.
export function display(number) {
  return `${number.slice(0, 2)} ${number.slice(2, 6)} ${number.slice(6, 10)} ${number.slice(10)}`;
}

// A label's QR code holds the tracking page URL; a Code 128 holds the number itself.
export function fromBarcodeText(text) {
  const match = /\/t\/([A-Za-z0-9 -]+)\/?$/.exec(String(text).trim());
  return match ? match[1] : String(text).trim();
}
