import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModelManifest } from '@/lib/core/inference/manifest';
import { normaliseHuInPlace, normaliseHuValue } from '@/lib/core/inference/normalise';

const tiny = JSON.parse(readFileSync(new URL('../../fixtures/inference/tiny/manifest.json', import.meta.url), 'utf8'));
const clone = () => JSON.parse(JSON.stringify(tiny));

describe('parseModelManifest', () => {
  it('accepts the tiny fixture manifest and fills defaults', () => {
    const m = parseModelManifest(tiny);
    expect(m.input).toEqual({ name: 'ct', layout: 'NCDHW', patchSizeXyz: [16, 12, 10] });
    expect(m.output.channels).toBe(1);
    expect(m.output.foregroundChannel).toBe(0);
    const bare = clone();
    delete bare.slidingWindow;
    delete bare.postprocess;
    const d = parseModelManifest(bare);
    expect(d.slidingWindow).toEqual({ overlap: 0.5, mode: 'gaussian', sigmaScale: 0.125, batchSize: 1 });
    expect(d.postprocess).toEqual({ keep: 'largest-and-near', nearLargestMm: 10, minComponentCc: 0 });
    const soft = clone();
    soft.output.activation = 'softmax';
    expect(parseModelManifest(soft).output).toMatchObject({ channels: 2, foregroundChannel: 1 });
  });

  const bad: [string, (m: any) => void, RegExp][] = [
    ['a patch size that is not a positive integer', (m) => (m.input.patchSizeXyz[1] = 0), /field "input\.patchSizeXyz\[1\]"/],
    ['a short sha256', (m) => (m.sha256 = 'abc'), /field "sha256": 64 lower-case hex digits/],
    ['a file outside the model folder', (m) => (m.file = '../other/model.onnx'), /field "file": a plain file name/],
    ['an unknown layout', (m) => (m.input.layout = 'NDHWC'), /field "input\.layout"/],
    ['a reversed HU window', (m) => (m.intensity.clipHu = [500, -1000]), /field "intensity\.clipHu": low \(500\) must be below high/],
    ['softmax with one channel', (m) => ((m.output.activation = 'softmax'), (m.output.channels = 1)), /field "output\.channels": softmax needs at least 2/],
    [
      'a foreground channel beyond the channels',
      (m) => (m.output.foregroundChannel = 1),
      /field "output\.foregroundChannel": 1 is not below the channel count 1/,
    ],
    ['overlap 1', (m) => (m.slidingWindow.overlap = 1), /field "slidingWindow\.overlap"/],
    ['no training notes', (m) => delete m.training.notes, /field "training\.notes"/],
    ['no target spacing', (m) => delete m.targetSpacingMm, /field "targetSpacingMm"/],
    ['a z-score without std', (m) => (m.intensity.normalisation = { method: 'zscore', meanHu: 0 }), /field "intensity\.normalisation\.stdHu"/],
  ];
  it.each(bad)('refuses %s, naming the field', (_what, mutate, message) => {
    const m = clone();
    mutate(m);
    let err: unknown;
    try {
      parseModelManifest(m, 'models/x/manifest.json');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_MANIFEST' });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/models\/x\/manifest\.json/);
  });
});

describe('HU normalisation', () => {
  const minmax = { clipHu: [-1000, 500] as [number, number], normalisation: { method: 'minmax' as const } };
  it('minmax clips to the window and scales to [0, 1]', () => {
    expect([-2000, -1000, -250, 500, 3000].map((v) => normaliseHuValue(v, minmax))).toEqual([0, 0, 0.5, 1, 1]);
  });
  it('zscore clips then standardises', () => {
    const z = { clipHu: [-1000, 500] as [number, number], normalisation: { method: 'zscore' as const, meanHu: -100, stdHu: 200 } };
    expect([-3000, -100, 100, 900].map((v) => normaliseHuValue(v, z))).toEqual([-4.5, 0, 1, 3]);
  });
  it('none only clips; in place over an array, NaN becomes air', () => {
    const a = Float32Array.from([-1500, 0, 800, NaN]);
    normaliseHuInPlace(a, { clipHu: [-1000, 500], normalisation: { method: 'none' } });
    expect(Array.from(a)).toEqual([-1000, 0, 500, -1000]);
    const b = Float32Array.from([-1000, 200, NaN]);
    normaliseHuInPlace(b, minmax);
    expect(Array.from(b)).toEqual([0, Math.fround(0.8), 0]);
  });
  it('refuses an empty window', () => {
    expect(() => normaliseHuValue(0, { clipHu: [5, 5], normalisation: { method: 'minmax' } })).toThrow(/intensity\.clipHu/);
  });
});
