/**
 * lib/inference against the tiny fixture model (tests/fixtures/inference/tiny), which
 * tests/reference/inference/make_tiny_model.py builds with PyTorch and exports with
 * torch.onnx.export (opset 17):
 *   /usr/bin/python3 tests/reference/inference/make_tiny_model.py
 * expected.f32 is PyTorch's eager output on input.f32.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION, type Grid, type Vec3, indexToPatientMm } from '@/lib/core/volume';
import { checkModel, listModels, loadModel, releaseModels, segmentVolume } from '@/lib/inference';

const TINY = join(__dirname, '../../fixtures/inference/tiny');
const tmp = mkdtempSync(join(tmpdir(), 'iseg-inference-'));
afterAll(async () => {
  await releaseModels();
  rmSync(tmp, { recursive: true, force: true });
});

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A copy of the tiny model folder with the manifest and/or model bytes changed. */
function variant(name: string, edit: { manifest?: (m: any) => void; model?: (b: Buffer) => void }): string {
  const dir = join(tmp, name);
  cpSync(TINY, dir, { recursive: true });
  if (edit.manifest) {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit.manifest(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  }
  if (edit.model) {
    const b = readFileSync(join(dir, 'model.onnx'));
    edit.model(b);
    writeFileSync(join(dir, 'model.onnx'), b);
  }
  return dir;
}

async function loadError(options: Parameters<typeof loadModel>[0]): Promise<Error & { code?: string }> {
  try {
    await loadModel(options);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('loadModel succeeded but was expected to fail');
}

describe('loadModel (onnxruntime-node, CPU)', () => {
  it('reproduces PyTorch’s output on the fixture batch within 1e-5', async () => {
    const model = await loadModel({ modelDir: TINY });
    const { inputShape, outputShape } = JSON.parse(readFileSync(join(TINY, 'case.json'), 'utf8'));
    const input = readF32(join(TINY, 'input.f32'));
    const expected = readF32(join(TINY, 'expected.f32'));
    const out = await model.predict(input, inputShape);
    expect(out.length).toBe(outputShape.reduce((a: number, b: number) => a * b, 1));
    let worst = 0;
    for (let t = 0; t < out.length; t++) worst = Math.max(worst, Math.abs(out[t] - expected[t]));
    expect(worst).toBeLessThan(1e-5);
    // Not a trivial output: the logits span both signs.
    expect(Math.min(...expected)).toBeLessThan(-5);
    expect(Math.max(...expected)).toBeGreaterThan(5);
    expect(model).toMatchObject({ name: 'tiny-test', version: '1.0.0', provider: 'cpu' });
    expect(model.sha256).toBe(JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')).sha256);
  });

  it('keeps one session per process: a second load returns the same model', async () => {
    const a = await loadModel({ modelDir: TINY });
    const b = await loadModel({ modelDir: TINY, provider: 'cpu' });
    expect(b).toBe(a);
  });

  it('refuses a corrupted model file, naming the file and both hashes', async () => {
    const dir = variant('corrupt', {
      model: (b) => {
        // Flip bytes in the weights (the tail of the file holds the initialisers).
        for (let i = b.length - 40; i < b.length - 30; i++) b[i] ^= 0xff;
      },
    });
    const expected = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')).sha256;
    const err = await loadError({ modelDir: dir });
    expect(err.code).toBe('MODEL_HASH_MISMATCH');
    expect(err.message).toContain(join(dir, 'model.onnx'));
    expect(err.message).toContain(expected);
    expect(err.message).toMatch(/has sha256 [0-9a-f]{64} but .* expects [0-9a-f]{64}/);
    expect(err.message).not.toMatch(new RegExp(`sha256 ${expected}`));
  });

  it('refuses a manifest whose tensor names do not match the model, naming both', async () => {
    const err = await loadError({ modelDir: variant('names', { manifest: (m) => (m.input.name = 'image') }) });
    expect(err.code).toBe('MODEL_SIGNATURE_MISMATCH');
    expect(err.message).toMatch(/has input\(s\) \[ct\] and output\(s\) \[logits\] but .* names input "image" and output "logits"/);
    const out = await loadError({ modelDir: variant('outname', { manifest: (m) => (m.output.name = 'prob') }) });
    expect(out.code).toBe('MODEL_SIGNATURE_MISMATCH');
    expect(out.message).toMatch(/output "prob"/);
  });

  it('refuses a manifest whose patch size or layout disagrees with the model’s input shape', async () => {
    const patch = await loadError({ modelDir: variant('patch', { manifest: (m) => (m.input.patchSizeXyz = [16, 12, 12]) }) });
    expect(patch.code).toBe('MODEL_SIGNATURE_MISMATCH');
    expect(patch.message).toMatch(/shape \[batch, 1, 10, 12, 16\] but .* implies \[batch, 1, 12, 12, 16\]/);
    const layout = await loadError({ modelDir: variant('layout', { manifest: (m) => (m.input.layout = 'NCXYZ') }) });
    expect(layout.code).toBe('MODEL_SIGNATURE_MISMATCH');
  });

  it('refuses a fixed-batch model unless patches go one at a time', async () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(TINY, 'model-batch1.onnx')))
      .digest('hex');
    const fixed = (batchSize: number) => (m: any) =>
      Object.assign(m, { file: 'model-batch1.onnx', sha256: sha, slidingWindow: { ...m.slidingWindow, batchSize } });
    const err = await loadError({ modelDir: variant('batch1-4', { manifest: fixed(4) }) });
    expect(err.code).toBe('MODEL_SIGNATURE_MISMATCH');
    expect(err.message).toMatch(/fixed batch size of 1 but .* slidingWindow\.batchSize 4: export the model with a dynamic batch axis/);
    const model = await loadModel({ modelDir: variant('batch1-1', { manifest: fixed(1) }) });
    const ct = phantomCt();
    const r = await segmentVolume({ volume: { grid: ct.grid, data: ct.data }, model });
    expect(r.batches).toBe(r.windows);
    expect(r.voxelCount).toBeGreaterThan(1000);
  });

  it('refuses a missing folder or an invalid manifest with the path', async () => {
    const missing = await loadError({ modelDir: join(tmp, 'nope') });
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.message).toContain(join(tmp, 'nope'));
    const bad = await loadError({ modelDir: variant('badmanifest', { manifest: (m) => (m.targetSpacingMm = [1, -1, 1]) }) });
    expect(bad.code).toBe('INVALID_MANIFEST');
    expect(bad.message).toMatch(/field "targetSpacingMm\[1\]"/);
  });

  // onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12 on a GPU host has this library;
  // this repository's install (and CI) skips it, so the CUDA provider cannot start here.
  const cudaLib = join(__dirname, '../../../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
  it.skipIf(existsSync(cudaLib))('fails with PROVIDER_UNAVAILABLE for cuda on a CPU-only install instead of running on the CPU', async () => {
    const err = await loadError({ modelDir: TINY, provider: 'cuda' });
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.message).toMatch(/Execution provider "cuda" cannot start a session on .*model\.onnx: .+\. The CUDA provider needs/);
    expect(err.message).not.toContain('\n');
    // The failure is not cached: CPU still loads afterwards, and cuda still fails.
    await expect(loadModel({ modelDir: TINY, provider: 'cpu' })).resolves.toMatchObject({ provider: 'cpu' });
    expect((await loadError({ modelDir: TINY, provider: 'cuda' })).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('listModels reports each folder’s identity and whether its file matches the hash', async () => {
    const root = join(tmp, 'registry');
    variant('registry/good', {});
    variant('registry/corrupt', { model: (b) => (b[b.length - 3] ^= 1) });
    variant('registry/badmanifest', { manifest: (m) => delete m.sha256 });
    cpSync(join(TINY, 'case.json'), join(tmp, 'registry/not-a-model.json'));
    const list = await listModels({ modelsRoot: root });
    expect(list.map((m) => [m.folder, m.verified, m.problem?.code ?? null])).toEqual([
      ['badmanifest', false, 'INVALID_MANIFEST'],
      ['corrupt', false, 'MODEL_HASH_MISMATCH'],
      ['good', true, null],
    ]);
    expect(list[2]).toMatchObject({ name: 'tiny-test', version: '1.0.0', intendedStructure: 'lung GTV' });
  });

  // The WebGPU provider (inside the Linux binary) reaches the GPU through Vulkan; without the
  // Vulkan loader it cannot start, and must say so rather than run on the CPU.
  const vulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some((f) => existsSync(f));
  it.skipIf(vulkan)('fails with PROVIDER_UNAVAILABLE for webgpu without a Vulkan loader', async () => {
    const err = await loadError({ modelDir: TINY, provider: 'webgpu' });
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.message).toMatch(/Execution provider "webgpu" cannot start a session on .*: .+\. The WebGPU provider needs a GPU/);
  });

  it('checkModel reports the start-up check without throwing', async () => {
    expect(await checkModel({ modelDir: TINY, provider: 'cpu' })).toMatchObject({
      ok: true,
      code: null,
      detail: expect.stringMatching(/^tiny-test 1\.0\.0 \(sha256 [0-9a-f]{64}\) runs on cpu$/),
    });
    const bad = await checkModel({ modelDir: variant('check-names', { manifest: (m) => (m.output.name = 'mask') }), provider: 'cpu' });
    expect(bad).toMatchObject({ ok: false, code: 'MODEL_SIGNATURE_MISMATCH' });
  });

  it('refuses an unknown provider name', async () => {
    const err = await loadError({ modelDir: TINY, provider: 'tpu' as never });
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.message).toMatch(/cpu, cuda, webgpu/);
  });
});

/** CT in HU: lung (−800) with a soft-tissue ball (40 HU) and a small far-away nodule. */
function phantomCt(): { grid: Grid; data: Int16Array; ball: { centre: Vec3; radiusMm: number } } {
  const grid: Grid = { dims: [71, 64, 23], spacingMm: [0.9, 0.9, 3], originMm: [-30, -25, -30], direction: IDENTITY_DIRECTION };
  const ball = { centre: [1.3, 2.1, -0.7] as Vec3, radiusMm: 12 };
  const nodule = { centre: [24, 22, 25] as Vec3, radiusMm: 5 };
  const data = new Int16Array(grid.dims[0] * grid.dims[1] * grid.dims[2]);
  const inside = (p: Vec3, b: { centre: Vec3; radiusMm: number }) => Math.hypot(p[0] - b.centre[0], p[1] - b.centre[1], p[2] - b.centre[2]) <= b.radiusMm;
  for (let k = 0, t = 0; k < grid.dims[2]; k++)
    for (let j = 0; j < grid.dims[1]; j++)
      for (let i = 0; i < grid.dims[0]; i++, t++) {
        const p = indexToPatientMm(grid, i, j, k);
        data[t] = inside(p, ball) || inside(p, nodule) ? 40 : -800;
      }
  return { grid, data, ball };
}

describe('segmentVolume with the tiny model', () => {
  it('segments the ball on the native grid, drops the far nodule, and reports stages', async () => {
    const model = await loadModel({ modelDir: TINY });
    const ct = phantomCt();
    const progress: number[] = [];
    const r = await segmentVolume({ volume: { grid: ct.grid, data: ct.data }, model, onProgress: (f) => progress.push(f) });
    expect(r.mask.grid).toEqual(ct.grid);
    expect(r.modelGrid.spacingMm).toEqual([2, 2, 2.5]);
    expect(r.modelGrid.dims).toEqual([Math.ceil((71 * 0.9) / 2), Math.ceil((64 * 0.9) / 2), Math.ceil((23 * 3) / 2.5)]);
    // Dice against the analytic ball on the native grid.
    let tp = 0;
    let ref = 0;
    for (let k = 0, t = 0; k < ct.grid.dims[2]; k++)
      for (let j = 0; j < ct.grid.dims[1]; j++)
        for (let i = 0; i < ct.grid.dims[0]; i++, t++) {
          const p = indexToPatientMm(ct.grid, i, j, k);
          const inBall = Math.hypot(p[0] - ct.ball.centre[0], p[1] - ct.ball.centre[1], p[2] - ct.ball.centre[2]) <= ct.ball.radiusMm;
          if (inBall) ref++;
          if (inBall && r.mask.data[t]) tp++;
        }
    const dice = (2 * tp) / (ref + r.voxelCount);
    expect(dice).toBeGreaterThan(0.9);
    // The nodule was thresholded in but removed as a separate component far from the ball.
    expect(r.postprocess.componentsFound).toBe(2);
    expect(r.postprocess.componentsKept).toBe(1);
    expect(r.probability.voxelsAtOrAboveThreshold).toBe(r.voxelCount + r.postprocess.voxelsRemoved);
    expect(r.volumeCc).toBeCloseTo((r.voxelCount * 0.9 * 0.9 * 3) / 1000, 9);
    expect(r.probability.maxOnModelGrid).toBeGreaterThan(0.99);
    expect(r.model).toEqual({ name: 'tiny-test', version: '1.0.0', sha256: model.sha256, provider: 'cpu' });
    for (const v of Object.values(r.timingsMs)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.timingsMs.total).toBeGreaterThanOrEqual(r.timingsMs.slidingWindow);
    // The CPU time of every stage too (bench:pipeline's table), the network's within its window's.
    expect(Object.keys(r.cpuMs ?? {}).sort()).toEqual(Object.keys(r.timingsMs).sort());
    for (const v of Object.values(r.cpuMs!)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.cpuMs!.predict).toBeGreaterThan(0);
    expect(r.cpuMs!.slidingWindow).toBeGreaterThanOrEqual(r.cpuMs!.predict);
    expect(r.cpuMs!.total).toBeGreaterThanOrEqual(r.cpuMs!.slidingWindow);
    expect(progress.at(-1)).toBe(1);
    expect(r.windows).toBeGreaterThan(4);
  });

  it('stops with ABORTED when the signal fires during the sliding window', async () => {
    const model = await loadModel({ modelDir: TINY });
    const ct = phantomCt();
    const ac = new AbortController();
    await expect(
      segmentVolume({ volume: { grid: ct.grid, data: ct.data }, model, signal: ac.signal, onProgress: (f) => f > 0.1 && f < 0.9 && ac.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
