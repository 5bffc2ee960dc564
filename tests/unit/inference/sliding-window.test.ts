import { describe, expect, it } from 'vitest';
import type { Vec3 } from '@/lib/core/volume';
import { InferenceError } from '@/lib/core/inference/errors';
import { importanceMap, type PatchPredictor, slidingWindowInference, windowStarts } from '@/lib/core/inference/sliding-window';

/** Deterministic, non-repeating values so that a misplaced voxel shows. */
function ramp(dims: Vec3): Float32Array {
  const n = dims[0] * dims[1] * dims[2];
  const a = new Float32Array(n);
  for (let t = 0; t < n; t++) a[t] = Math.sin(0.7 * t) * 100 + (t % 13);
  return a;
}

const plusOne: PatchPredictor = async (batch) => batch.map((v) => v + 1);

function expectPlusOne(out: Float32Array, input: Float32Array) {
  expect(out.length).toBe(input.length);
  let worst = 0;
  for (let t = 0; t < input.length; t++) worst = Math.max(worst, Math.abs(out[t] - (input[t] + 1)) / Math.max(1, Math.abs(input[t] + 1)));
  expect(worst).toBeLessThan(1e-5);
}

describe('windowStarts (MONAI _get_scan_interval + dense_patch_slices)', () => {
  // Worked by hand from MONAI's definitions: interval = int(patch·(1 − overlap)); the last start
  // is pulled back so that the window ends at the edge.
  it.each([
    [23, 8, 0.5, [0, 4, 8, 12, 15]],
    [23, 8, 0, [0, 8, 15]],
    [23, 8, 0.25, [0, 6, 12, 15]],
    [8, 8, 0.5, [0]],
    [9, 8, 0.5, [0, 1]],
    [16, 8, 0, [0, 8]],
    [10, 3, 0.9, [0, 1, 2, 3, 4, 5, 6, 7]],
  ])('size %i, patch %i, overlap %f', (size, patch, overlap, starts) => {
    expect(windowStarts(size, patch, overlap)).toEqual(starts);
  });
});

describe('importanceMap', () => {
  it('is MONAI’s Gaussian: exp(−x²/2σ²), σ = 0.125·P, x from −(P−1)/2, max 1', () => {
    const w = importanceMap([5, 1, 1], 'gaussian', 0.125);
    const sigma = 5 * 0.125;
    const g = (x: number) => Math.exp(-(x * x) / (2 * sigma * sigma));
    expect(Array.from(w)).toEqual([g(-2), g(-1), 1, g(1), g(2)].map((v) => Math.fround(v)));
    const even = importanceMap([4, 4, 4], 'gaussian');
    expect(Math.max(...even)).toBeCloseTo(1, 6);
    // Separable: w(i,j,k) = w(i) w(j) w(k) / max.
    const w1 = importanceMap([4, 1, 1], 'gaussian');
    expect(even[1 + 4 * (2 + 4 * 0)]).toBeCloseTo(w1[1] * w1[2] * w1[0], 6);
  });
  it('constant mode is all ones', () => {
    expect(Array.from(importanceMap([2, 3, 1], 'constant'))).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('slidingWindowInference with an identity-plus-one predictor', () => {
  const cases: { dims: Vec3; patch: Vec3 }[] = [
    { dims: [23, 17, 11], patch: [8, 6, 5] },
    { dims: [31, 9, 13], patch: [7, 9, 4] },
    // Smaller than the patch on every axis, and on some axes only.
    { dims: [5, 3, 2], patch: [8, 6, 5] },
    { dims: [20, 4, 9], patch: [8, 6, 5] },
    { dims: [1, 1, 1], patch: [3, 3, 3] },
  ];
  for (const { dims, patch } of cases)
    for (const overlap of [0, 0.25, 0.5])
      for (const batchSize of [1, 3, 7])
        it(`${dims.join('×')} volume, ${patch.join('×')} patch, overlap ${overlap}, batch ${batchSize}`, async () => {
          const input = ramp(dims);
          for (const layout of ['NCDHW', 'NCXYZ'] as const)
            for (const mode of ['gaussian', 'constant'] as const) {
              const shapes: number[][] = [];
              const r = await slidingWindowInference({
                input,
                dims,
                patchSizeXyz: patch,
                overlap,
                batchSize,
                layout,
                mode,
                predict: async (b, shape) => {
                  shapes.push([...shape]);
                  return plusOne(b, shape);
                },
              });
              expectPlusOne(r.output, input);
              expect(r.channels).toBe(1);
              const spatial = layout === 'NCDHW' ? [patch[2], patch[1], patch[0]] : patch;
              expect(shapes.every((s) => s.length === 5 && s[1] === 1 && s.slice(2).join() === spatial.join())).toBe(true);
              expect(shapes.slice(0, -1).every((s) => s[0] === batchSize)).toBe(true);
              expect(shapes.reduce((n, s) => n + s[0], 0)).toBe(r.windows);
              // MONAI's window count: product over axes of the starts on the padded size.
              const expected = [0, 1, 2].reduce((n, a) => n * windowStarts(Math.max(dims[a], patch[a]), patch[a], overlap).length, 1);
              expect(r.windows).toBe(expected);
            }
        });

  it('gives every call the result of a fresh computation although weights, their sums and the batch buffer are reused', async () => {
    // The importance map and the per-voxel weight sum are kept between calls of one geometry (the
    // phases of a run) and the batch buffer between batches: another geometry, patch or overlap in
    // between, a last batch smaller than the others and an identity predictor (its output is the
    // buffer itself) must change nothing.
    const identity: PatchPredictor = async (batch) => batch;
    const a = { input: ramp([11, 9, 7]), dims: [11, 9, 7] as Vec3, patchSizeXyz: [4, 4, 4] as Vec3, overlap: 0.5, batchSize: 7, predict: identity };
    const first = (await slidingWindowInference(a)).output.slice();
    await slidingWindowInference({ ...a, input: ramp([12, 9, 7]), dims: [12, 9, 7] });
    await slidingWindowInference({ ...a, patchSizeXyz: [4, 4, 2] });
    await slidingWindowInference({ ...a, overlap: 0.25, mode: 'constant' });
    const again = await slidingWindowInference(a);
    const twice = await slidingWindowInference(a);
    expect(again.output).toEqual(first);
    expect(twice.output).toEqual(first);
    expect(again.windows % 7).not.toBe(0); // the last batch is a partial one
    let worst = 0;
    for (let t = 0; t < first.length; t++) worst = Math.max(worst, Math.abs(first[t]! - a.input[t]!) / Math.max(1, Math.abs(a.input[t]!)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('input is not modified', async () => {
    const dims: Vec3 = [9, 8, 7];
    const input = ramp(dims);
    const copy = input.slice();
    await slidingWindowInference({ input, dims, patchSizeXyz: [4, 4, 4], overlap: 0.5, predict: plusOne });
    expect(input).toEqual(copy);
  });
});

describe('slidingWindowInference tiling details', () => {
  it('hands predict the window in the requested layout', async () => {
    const dims: Vec3 = [6, 4, 2];
    const input = ramp(dims);
    const patch: Vec3 = [3, 2, 2];
    const seen: { layout: string; first: Float32Array }[] = [];
    for (const layout of ['NCDHW', 'NCXYZ'] as const) {
      let first: Float32Array | null = null;
      await slidingWindowInference({
        input,
        dims,
        patchSizeXyz: patch,
        overlap: 0,
        layout,
        predict: async (b) => {
          first ??= b.slice();
          return b;
        },
      });
      seen.push({ layout, first: first! });
    }
    // The first window is voxels i < 3, j < 2, k < 2.
    const at = (i: number, j: number, k: number) => input[i + 6 * (j + 4 * k)];
    const dhw: number[] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) dhw.push(at(i, j, k));
    const xyz: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) xyz.push(at(i, j, k));
    expect(Array.from(seen[0].first)).toEqual(dhw);
    expect(Array.from(seen[1].first)).toEqual(xyz);
  });

  it('pads a small volume symmetrically (⌊diff/2⌋ before) with padValue', async () => {
    const dims: Vec3 = [5, 1, 1];
    const input = Float32Array.from([10, 11, 12, 13, 14]);
    let batch: Float32Array | null = null;
    await slidingWindowInference({
      input,
      dims,
      patchSizeXyz: [8, 1, 1],
      overlap: 0,
      padValue: -7,
      predict: async (b) => {
        batch = b.slice();
        return b;
      },
    });
    expect(Array.from(batch!)).toEqual([-7, 10, 11, 12, 13, 14, -7, -7]);
  });

  it('stitches by the importance-weighted average (checked against a brute-force average)', async () => {
    const dims: Vec3 = [13, 7, 6];
    const patch: Vec3 = [6, 4, 3];
    const overlap = 0.5;
    const input = ramp(dims);
    // Each window's output is its own index: the stitched value is Σ w·index / Σ w.
    let call = 0;
    const r = await slidingWindowInference({
      input,
      dims,
      patchSizeXyz: patch,
      overlap,
      batchSize: 2,
      predict: async (b) => {
        const n = b.length / (patch[0] * patch[1] * patch[2]);
        const out = new Float32Array(b.length);
        for (let w = 0; w < n; w++) out.fill(call++, w * 72, (w + 1) * 72);
        return out;
      },
    });
    const w = importanceMap(patch, 'gaussian');
    const sx = windowStarts(dims[0], patch[0], overlap);
    const sy = windowStarts(dims[1], patch[1], overlap);
    const sz = windowStarts(dims[2], patch[2], overlap);
    const num = new Float64Array(input.length);
    const den = new Float64Array(input.length);
    let index = 0;
    for (const z0 of sz)
      for (const y0 of sy)
        for (const x0 of sx) {
          for (let k = 0; k < patch[2]; k++)
            for (let j = 0; j < patch[1]; j++)
              for (let i = 0; i < patch[0]; i++) {
                const v = x0 + i + dims[0] * (y0 + j + dims[1] * (z0 + k));
                const wt = w[i + patch[0] * (j + patch[1] * k)];
                num[v] += wt * index;
                den[v] += wt;
              }
          index++;
        }
    expect(index).toBe(r.windows);
    let worst = 0;
    for (let v = 0; v < input.length; v++) worst = Math.max(worst, Math.abs(r.output[v] - num[v] / den[v]));
    expect(worst).toBeLessThan(1e-4);
    // Not trivially constant: interior voxels blend several windows.
    expect(new Set(Array.from(r.output, (x) => x.toFixed(3))).size).toBeGreaterThan(r.windows);
  });

  it('stitches every output channel (channel-major result)', async () => {
    const dims: Vec3 = [11, 5, 4];
    const input = ramp(dims);
    const r = await slidingWindowInference({
      input,
      dims,
      patchSizeXyz: [4, 4, 4],
      overlap: 0.25,
      batchSize: 2,
      expectedChannels: 2,
      predict: async (b, shape) => {
        const pv = shape[2] * shape[3] * shape[4];
        const out = new Float32Array(2 * b.length);
        for (let n = 0; n < shape[0]; n++)
          for (let t = 0; t < pv; t++) {
            out[2 * n * pv + t] = b[n * pv + t] + 1;
            out[(2 * n + 1) * pv + t] = 2 * b[n * pv + t];
          }
        return out;
      },
    });
    expect(r.channels).toBe(2);
    expectPlusOne(r.output.subarray(0, input.length), input);
    const twice = r.output.subarray(input.length);
    for (let t = 0; t < input.length; t++) expect(twice[t]).toBeCloseTo(2 * input[t], 3);
  });

  it('reports progress after each batch, ending at 1', async () => {
    const fractions: number[] = [];
    const r = await slidingWindowInference({
      input: ramp([20, 9, 9]),
      dims: [20, 9, 9],
      patchSizeXyz: [5, 5, 5],
      overlap: 0.5,
      batchSize: 4,
      predict: plusOne,
      onProgress: (f) => fractions.push(f),
    });
    expect(fractions.length).toBe(r.batches);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]);
  });
});

describe('slidingWindowInference errors', () => {
  const dims: Vec3 = [20, 20, 20];
  const base = { input: ramp(dims), dims, patchSizeXyz: [8, 8, 8] as Vec3, overlap: 0.5 };

  it('stops with ABORTED when the signal fires between batches', async () => {
    const ac = new AbortController();
    let calls = 0;
    const run = slidingWindowInference({
      ...base,
      batchSize: 2,
      signal: ac.signal,
      predict: async (b) => {
        calls++;
        if (calls === 2) ac.abort(new Error('user cancelled'));
        return b;
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'InferenceError', code: 'ABORTED' });
    await expect(run).rejects.toThrow(/aborted after 4 of 64 patches/);
    expect(calls).toBe(2);
  });

  it('does not call predict when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    await expect(slidingWindowInference({ ...base, signal: ac.signal, predict: async (b) => (calls++, b) })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toBe(0);
  });

  it('refuses a predictor output of the wrong size', async () => {
    await expect(slidingWindowInference({ ...base, predict: async (b) => b.subarray(1) })).rejects.toMatchObject({ code: 'PREDICT_FAILED' });
    await expect(slidingWindowInference({ ...base, expectedChannels: 2, predict: async (b) => b })).rejects.toThrow(/expected 1 × 2 × 512/);
  });

  it('wraps a predictor failure with the patch range', async () => {
    await expect(
      slidingWindowInference({
        ...base,
        predict: async () => {
          throw new Error('out of memory');
        },
      }),
    ).rejects.toThrow(/patches 1–1 of 64: out of memory/);
  });

  it('refuses bad options naming them', async () => {
    const p = plusOne;
    await expect(slidingWindowInference({ ...base, overlap: 1, predict: p })).rejects.toThrow(/overlap 1 must be in \[0, 1\)/);
    await expect(slidingWindowInference({ ...base, patchSizeXyz: [8, 0, 8], predict: p })).rejects.toThrow(/patch size 8×0×8/);
    await expect(slidingWindowInference({ ...base, input: new Float32Array(7), predict: p })).rejects.toBeInstanceOf(InferenceError);
    await expect(slidingWindowInference({ ...base, batchSize: 0, predict: p })).rejects.toThrow(/batch size 0/);
  });
});
