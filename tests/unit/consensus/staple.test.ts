import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConsensusError, staple, unionDomain } from '@/lib/core/consensus';

// Fixtures: ITK 5.2's itk::STAPLEImageFilter run on synthetic 3D masks by
// tests/fixtures/consensus/make-staple-cases.py (recipe: tests/fixtures/consensus/README.md).
const DIR = new URL('../../fixtures/consensus/staple/', import.meta.url);
interface Case {
  name: string;
  set: string;
  observers: number;
  confidenceWeight: number;
  maxIterations: number;
  domain: 'union' | null;
  probability: string;
  probabilityLength: number;
  sensitivity: number[];
  specificity: number[];
  elapsedIterations: number;
}
const fx = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as { shape: { x: number; y: number; z: number }; cases: Case[] };
const voxels = fx.shape.x * fx.shape.y * fx.shape.z;
const masksOf = (set: string, k: number) => Array.from({ length: k }, (_, j) => new Uint8Array(readFileSync(new URL(`${set}.mask${j + 1}.raw`, DIR))));
const f64 = (file: string) => {
  const b = readFileSync(new URL(file, DIR));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const meanFraction = (masks: Uint8Array[], domain?: Uint8Array) => {
  let s = 0;
  let m = 0;
  for (let v = 0; v < masks[0]!.length; v++) {
    if (domain && !domain[v]) continue;
    m++;
    for (const mk of masks) s += mk[v]! / masks.length;
  }
  return s / m;
};

describe('staple against ITK itk::STAPLEImageFilter', () => {
  it('has the ITK cases', () => expect(fx.cases.length).toBeGreaterThanOrEqual(8));
  for (const c of fx.cases) {
    it(c.name, () => {
      const masks = masksOf(c.set, c.observers);
      expect(masks.every((m) => m.length === voxels)).toBe(true);
      const domain = c.domain === 'union' ? unionDomain(masks) : undefined;
      // ITK's prior is the mean foreground fraction times its ConfidenceWeight; ours takes the prior itself.
      const prior = c.confidenceWeight === 1 ? undefined : meanFraction(masks, domain) * c.confidenceWeight;
      const r = staple(masks, { prior, domain, maxIterations: c.maxIterations || undefined });

      // Same arithmetic in double precision as ITK: p and q agree to rounding.
      for (let j = 0; j < c.observers; j++) {
        expect(Math.abs(r.sensitivity[j]! - c.sensitivity[j]!)).toBeLessThan(1e-12);
        expect(Math.abs(r.specificity[j]! - c.specificity[j]!)).toBeLessThan(1e-12);
      }
      if (c.maxIterations) {
        expect(r).toMatchObject({ iterations: c.maxIterations, converged: false });
      } else {
        // ITK reports the index of the iteration it stopped at; we report how many were done.
        expect(r).toMatchObject({ iterations: c.elapsedIterations + 1, converged: true });
      }
      // Probabilities: ours are returned as float32 (rounding ≤ 3e-8), hence 1e-6.
      const ref = f64(c.probability);
      expect(ref.length).toBe(c.probabilityLength);
      const ours = domain ? r.probability.filter((_, v) => domain[v] === 1) : r.probability;
      expect(ours.length).toBe(ref.length);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
      expect(worst).toBeLessThan(1e-6);
      expect(r.consensus.filter((x, v) => x !== (r.probability[v]! >= 0.5 ? 1 : 0)).length).toBe(0);
    });
  }

  it('outside a domain, the probability is the final E-step with the estimated p, q and prior', () => {
    const c = fx.cases.find((x) => x.domain === 'union')!;
    const masks = masksOf(c.set, c.observers);
    const r = staple(masks, { domain: unionDomain(masks) });
    // Outside the union every observer says background: g·Π(1 − p) / (g·Π(1 − p) + (1 − g)·Π q).
    let a = r.prior;
    let b = 1 - r.prior;
    for (let j = 0; j < c.observers; j++) {
      a *= 1 - r.sensitivity[j]!;
      b *= r.specificity[j]!;
    }
    const outside = r.probability.findIndex((_, v) => masks.every((m) => m[v] === 0));
    expect(outside).toBeGreaterThanOrEqual(0);
    expect(Math.abs(r.probability[outside]! - a / (a + b))).toBeLessThan(1e-7);
  });
});

describe('staple input checks', () => {
  const a = Uint8Array.from([1, 1, 0, 0]);
  const b = Uint8Array.from([1, 0, 0, 0]);
  it('names bad input', () => {
    expect(() => staple([a])).toThrow(/STAPLE needs at least 2 observer masks, got 1/);
    expect(() => staple([a, Uint8Array.from([1])])).toThrow(/observer mask 2 has 1 voxels but mask 1 has 4/);
    expect(() => staple([a, b], { domain: Uint8Array.from([1]) })).toThrow(/the domain mask has 1 voxels but the observer masks have 4/);
    expect(() => staple([a, b], { domain: new Uint8Array(4) })).toThrow(/domain is empty/);
    expect(() => staple([new Uint8Array(4), new Uint8Array(4)])).toThrow(ConsensusError);
    expect(() => staple([new Uint8Array(4), new Uint8Array(4)])).toThrow(/all masks empty/);
    expect(() => staple([Uint8Array.from([1, 1]), Uint8Array.from([1, 1])])).toThrow(/every observer has every voxel of the domain/);
    expect(() => staple([a, b], { prior: 1 })).toThrow(/prior must be strictly between 0 and 1, got 1/);
    expect(() => staple([a, b], { maxIterations: 0 })).toThrow(/maxIterations must be a positive integer, got 0/);
    expect(() => staple(Array.from({ length: 17 }, () => a))).toThrow(/STAPLE supports up to 16 observers, got 17/);
  });
  it('identical observers: the consensus is their mask, with sensitivity and specificity 1', () => {
    const r = staple([a, a, a]);
    expect([...r.consensus]).toEqual([...a]);
    expect(r.sensitivity).toEqual([1, 1, 1]);
    expect(r.specificity).toEqual([1, 1, 1]);
    expect(r.converged).toBe(true);
  });
});
