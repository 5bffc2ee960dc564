/**
 * Consistent, one-way replacement of DICOM UIDs for de-identified exports: "2.25." followed by
 * the decimal value of the first 128 bits of HMAC-SHA256(secret, uid) (PS3.5 B.2: a UID derived
 * from a 128-bit number under the 2.25 root; at most 44 characters). The same UID always maps to
 * the same replacement within one installation, so a CT series and the RTSTRUCT that references
 * it stay linked across exports, while without the secret the real UID cannot be recovered or
 * confirmed by hashing guesses.
 */
import { createHmac } from 'node:crypto';

export function createUidRemapper(secret: string): (uid: string) => string {
  if (!secret) throw new Error('A UID remapper needs a secret.');
  const cache = new Map<string, string>();
  return (uid: string) => {
    let out = cache.get(uid);
    if (!out) {
      const mac = createHmac('sha256', secret).update(`dicom-uid\0${uid}`).digest();
      out = `2.25.${BigInt(`0x${mac.subarray(0, 16).toString('hex')}`).toString(10)}`;
      cache.set(uid, out);
    }
    return out;
  };
}
