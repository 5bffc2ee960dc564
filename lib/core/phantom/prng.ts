/**
 * Seeded pseudo-random numbers for the phantom: sfc32 (Chris Doty-Humphrey's Small Fast Chaotic
 * PRNG, PractRand-tested) seeded through cyrb128 string hashing, with Box–Muller normals.
 * `fork(label)` derives an independent stream from (seed, label), so adding draws in one part of
 * the generator does not shift the numbers of another.
 */

/** 128-bit string hash (cyrb128, bryc) as four uint32 words. */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let n = 0; n < text.length; n++) {
    const k = text.charCodeAt(n);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export interface Rng {
  /** The seed string this stream was made from. */
  readonly seed: string;
  /** Uniform on [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform on [a, b). */
  uniform(a: number, b: number): number;
  /** Integer uniform on [a, b] inclusive. */
  int(a: number, b: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
  /** Exponential with the given rate (per unit time): −ln(U)/rate. */
  exponential(rate: number): number;
  pick<T>(items: readonly T[]): T;
  /** An independent stream for a named purpose. */
  fork(label: string | number): Rng;
}

/** A seeded stream. Equal seeds give equal sequences on every platform. */
export function createRng(seed: string | number): Rng {
  const seedText = String(seed);
  let [a, b, c, d] = hash128(seedText);
  const nextU32 = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs, as recommended for sfc32 with hashed seeds.
  for (let n = 0; n < 15; n++) nextU32();
  let spare: number | null = null;
  const rng: Rng = {
    seed: seedText,
    next: () => nextU32() / 4294967296,
    uniform: (lo, hi) => lo + (hi - lo) * rng.next(),
    int: (lo, hi) => lo + Math.floor(rng.next() * (hi - lo + 1)),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // 1 − U avoids log(0).
      const u1 = 1 - rng.next();
      const u2 = rng.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    },
    bernoulli: (p) => rng.next() < p,
    exponential: (rate) => -Math.log(1 - rng.next()) / rate,
    pick: (items) => {
      if (items.length === 0) throw new Error('rng.pick: the list to pick from is empty.');
      return items[Math.floor(rng.next() * items.length)]!; // next() < 1, so the index is < length
    },
    fork: (label) => createRng(`${seedText}/${label}`),
  };
  return rng;
}
