// A random (version 4) UUID for each money transfer: the gateway answers a
// repeated uuid with the first result, so a retried transfer is never doubled.
// crypto.randomUUID exists only in secure contexts (https, localhost); the
// page may be opened over plain http on a LAN address, so build it ourselves.

type Fill = (bytes: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;

export function uuidV4(fillRandom: Fill = (b) => crypto.getRandomValues(b)): string {
  const b = fillRandom(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
