/**
 * Scratch volumes (lib/core/inference/scratch-volumes.ts): reused between a run's phases, never
 * handed to two users at once, and a segmentation that reuses them gives the same mask as one
 * that starts from fresh arrays.
 */
import { describe, expect, it } from 'vitest';
import { giveBackScratch, takeScratch } from '@/lib/core/inference/scratch-volumes';
import { slidingWindowInference } from '@/lib/core/inference/sliding-window';
import type { Vec3 } from '@/lib/core/volume';

describe('scratch volumes', () => {
  it('hands a given-back array out again, and two takers never share one', () => {
    const a = takeScratch(1000);
    const b = takeScratch(1000);
    expect(a).not.toBe(b);
    giveBackScratch(a);
    const c = takeScratch(1000);
    expect(c).toBe(a);
    expect(takeScratch(1000)).not.toBe(a); // a is taken again: a new one
    giveBackScratch(c);
    giveBackScratch(c); // twice: kept once
    expect(takeScratch(1000)).toBe(c);
    expect(takeScratch(1000)).not.toBe(c);
  });

  it('keeps neither views nor arrays of another length for a request', () => {
    const whole = new Float32Array(64);
    giveBackScratch(whole.subarray(0, 32));
    expect(takeScratch(32).buffer).not.toBe(whole.buffer);
    giveBackScratch(whole);
    expect(takeScratch(32)).not.toBe(whole);
  });

  it('a stitched output in a reused array equals one from a fresh array (the reused one is zeroed first)', async () => {
    const dims: Vec3 = [20, 18, 10];
    const input = Float32Array.from({ length: 20 * 18 * 10 }, (_, v) => Math.sin(v / 7));
    const predict = async (batch: Float32Array) => batch.map((x) => 2 * x + 1);
    const run = () => slidingWindowInference({ input, dims, patchSizeXyz: [8, 8, 4], overlap: 0.5, batchSize: 3, predict });
    const first = await run();
    const fresh = Float32Array.from(first.output);
    // Dirty it and give it back: the next run gets it and must not add onto the old values.
    first.output.fill(123);
    giveBackScratch(first.output);
    const second = await run();
    expect(second.output).toBe(first.output);
    expect(Buffer.from(second.output.buffer).equals(Buffer.from(fresh.buffer))).toBe(true);
  });
});
