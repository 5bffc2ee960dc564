/**
 * A snapshot's content hash and citable id (docs/outcomes-snapshots.md): the hash is the sha256
 * (lower-case hex) of the UTF-8 bytes of the canonical JSON; the citable id is "ISQ-" followed by
 * the first 10 characters of the RFC 4648 base32 encoding (A–Z, 2–7) of the hash's 32 bytes, i.e.
 * its first 50 bits. Pure: hashing is computation, no I/O.
 */
import { createHash } from 'node:crypto';

export const CITABLE_ID_PREFIX = 'ISQ-';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** sha256 of the canonical JSON text, as 64 lower-case hex digits. */
export function snapshotContentHash(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** RFC 4648 base32 (no padding) of bytes. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((buffer >>> (bits - 5)) & 31);
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/** "ISQ-" + the first 10 base32 characters of the hash. */
export function citableIdOf(contentHashHex: string): string {
  if (!/^[0-9a-f]{64}$/.test(contentHashHex))
    throw new Error(`A snapshot content hash is 64 lower-case hex digits (sha256); got "${contentHashHex.slice(0, 80)}".`);
  return CITABLE_ID_PREFIX + base32(Uint8Array.from(contentHashHex.match(/../g) ?? [], (h) => parseInt(h, 16))).slice(0, 10);
}

/** Whether text has the form of a citable id (it may still name no snapshot). */
export function isCitableId(text: string): boolean {
  return /^ISQ-[A-Z2-7]{10}$/.test(text);
}
