/**
 * Load a segmentation model folder (`manifest.json` + the ONNX file it names) into one
 * onnxruntime-node session per process, after checking that the file is the one the manifest
 * describes. This module and check-execution-provider.ts are the only importers of
 * onnxruntime-node.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { InferenceError } from '@/lib/core/inference/errors';
import { type ModelManifest, parseModelManifest } from '@/lib/core/inference/manifest';
import type { PatchPredictor } from '@/lib/core/inference/sliding-window';
import type { ExecutionProvider } from './check-execution-provider';

export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];

export interface LoadedModel {
  manifest: ModelManifest;
  /** Name, version and the verified sha256 of the ONNX file: what a run records. */
  name: string;
  version: string;
  sha256: string;
  provider: ExecutionProvider;
  modelPath: string;
  /** Runs the session on a float32 batch (shape [n, 1, …patch in the manifest's layout]). */
  predict: PatchPredictor;
}

export interface LoadModelOptions {
  /** Folder with manifest.json and the ONNX file. */
  modelDir: string;
  /** Default 'cpu'. Never replaced by another provider: if it cannot start, loadModel throws. */
  provider?: ExecutionProvider;
  /** onnxruntime intra-op threads; default: onnxruntime's choice (all cores). */
  intraOpThreads?: number;
}

interface CacheEntry {
  model: Promise<LoadedModel>;
  session: Promise<Ort.InferenceSession>;
}

// One session per (model file, hash, provider, threads) per process; the worker loads one model.
const cache = new Map<string, CacheEntry>();

let ortModule: Promise<typeof Ort> | null = null;
function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => {
      const ort = ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort;
      // onnxruntime's own log lines (e.g. a provider library that fails to load) would break the
      // CLI's one-line error; its messages reach the caller through the thrown error instead.
      ort.env.logLevel = 'fatal';
      return ort;
    },
    (e: unknown) => {
      ortModule = null;
      throw new InferenceError(
        'PROVIDER_UNAVAILABLE',
        `onnxruntime-node does not load: ${(e as Error).message}. Reinstall with npm install (see docs/environment.md).`,
        { cause: e },
      );
    },
  );
  return ortModule;
}

function providerHint(provider: ExecutionProvider): string {
  if (provider === 'cuda')
    return ' The CUDA provider needs an NVIDIA GPU with CUDA 12 and an install with ONNXRUNTIME_NODE_INSTALL=cuda12; set ISEG_EXECUTION_PROVIDER=cpu to run on the CPU.';
  if (provider === 'webgpu') return ' The WebGPU provider needs a GPU with a current Vulkan driver; set ISEG_EXECUTION_PROVIDER=cpu to run on the CPU.';
  return ' Check that onnxruntime-node is installed for this platform and that the model is a valid ONNX file.';
}

/** Read and validate manifest.json in `modelDir`. @throws InferenceError MODEL_NOT_FOUND | INVALID_MANIFEST */
export async function readModelManifest(modelDir: string): Promise<{ manifest: ModelManifest; manifestPath: string }> {
  const manifestPath = path.join(modelDir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new InferenceError(
      'MODEL_NOT_FOUND',
      `No readable manifest.json in model folder ${modelDir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): a model folder holds the ONNX file and its manifest.json (see models/README.md).`,
      { cause: e },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InferenceError('INVALID_MANIFEST', `Model manifest ${manifestPath} is not valid JSON: ${(e as Error).message}.`, { cause: e });
  }
  return { manifest: parseModelManifest(json, manifestPath), manifestPath };
}

/** Lower-case hex sha256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Load a model: read and validate manifest.json, verify the ONNX file's sha256, create (or reuse)
 * the process's session on the requested execution provider, and check the session's tensor
 * names and shapes against the manifest.
 *
 * The bytes that are hashed are the bytes given to onnxruntime, so a file swapped after the
 * check cannot run unverified.
 *
 * @throws InferenceError
 *  - MODEL_NOT_FOUND: no manifest.json or no ONNX file;
 *  - INVALID_MANIFEST: the manifest does not validate (the message names the field);
 *  - MODEL_HASH_MISMATCH: the file's sha256 is not the manifest's (both hashes and the file named);
 *  - PROVIDER_UNAVAILABLE: the provider cannot start (never a silent CPU fallback);
 *  - MODEL_SIGNATURE_MISMATCH: input/output names, rank or patch size differ from the manifest.
 */
export async function loadModel({ modelDir, provider = 'cpu', intraOpThreads }: LoadModelOptions): Promise<LoadedModel> {
  if (!EXECUTION_PROVIDERS.includes(provider))
    throw new InferenceError(
      'PROVIDER_UNAVAILABLE',
      `Unknown execution provider "${String(provider)}": use one of ${EXECUTION_PROVIDERS.join(', ')} (ISEG_EXECUTION_PROVIDER).`,
    );
  const { manifest, manifestPath } = await readModelManifest(modelDir);
  const modelPath = path.join(modelDir, manifest.file);
  let bytes: Uint8Array;
  let realModelPath: string;
  try {
    realModelPath = await realpath(modelPath);
    const b = await readFile(realModelPath);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new InferenceError(
      'MODEL_NOT_FOUND',
      `Model file ${modelPath} named by ${manifestPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      { cause: e },
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== manifest.sha256)
    throw new InferenceError(
      'MODEL_HASH_MISMATCH',
      `Model file ${modelPath} has sha256 ${actual} but ${manifestPath} expects ${manifest.sha256}: the file is corrupt or was replaced. Copy the model again; change the manifest only if this file is the intended model.`,
    );

  const key = `${realModelPath}|${actual}|${provider}|${intraOpThreads ?? ''}|${JSON.stringify(manifest)}`;
  const cached = cache.get(key);
  if (cached) return cached.model;

  const session = createSession(bytes, provider, modelPath, intraOpThreads);
  const model = session.then((s) => {
    checkSignature(s, manifest, modelPath, manifestPath);
    return {
      manifest,
      name: manifest.name,
      version: manifest.version,
      sha256: actual,
      provider,
      modelPath,
      predict: makePredictor(s, manifest, modelPath),
    } satisfies LoadedModel;
  });
  const entry = { model, session };
  cache.set(key, entry);
  // A failed load is not cached, so a fixed model or provider can be retried in the same process.
  model.catch(() => {
    if (cache.get(key) === entry) cache.delete(key);
    session.then((s) => s.release()).catch(() => undefined);
  });
  return model;
}

async function createSession(bytes: Uint8Array, provider: ExecutionProvider, modelPath: string, intraOpThreads?: number): Promise<Ort.InferenceSession> {
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      // No busy-waiting of onnxruntime's threads between patches and after the last one: on a
      // shared CPU that spinning takes cores from the pipeline's other stages and other processes
      // (bench:pipeline: ~40 ms of CPU per phase outside the network, for no gain in wall time).
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    });
  } catch (e) {
    const first = ((e as Error)?.message ?? String(e)).split('\n')[0].trim();
    throw new InferenceError(
      'PROVIDER_UNAVAILABLE',
      `Execution provider "${provider}" cannot start a session on ${modelPath}: ${first}.${providerHint(provider)}`,
      { cause: e },
    );
  }
}

function checkSignature(s: Ort.InferenceSession, m: ModelManifest, modelPath: string, manifestPath: string): void {
  const ins = [...s.inputNames];
  const outs = [...s.outputNames];
  if (ins.length !== 1 || ins[0] !== m.input.name || !outs.includes(m.output.name))
    throw new InferenceError(
      'MODEL_SIGNATURE_MISMATCH',
      `Model ${modelPath} has input(s) [${ins.join(', ')}] and output(s) [${outs.join(', ')}] but ${manifestPath} names input "${m.input.name}" and output "${m.output.name}": fix input.name/output.name in the manifest or export the model with those names.`,
    );
  const [px, py, pz] = m.input.patchSizeXyz;
  const expected = m.input.layout === 'NCXYZ' ? [px, py, pz] : [pz, py, px];
  const checkShape = (kind: string, name: string, meta: readonly Ort.InferenceSession.ValueMetadata[] | undefined, channels: number) => {
    const md = meta?.find((x) => x.name === name);
    if (!md || !md.isTensor) return;
    const shape = md.shape;
    const problem = (why: string) =>
      new InferenceError(
        'MODEL_SIGNATURE_MISMATCH',
        `Model ${modelPath} ${kind} "${name}" has shape [${shape.join(', ')}] but ${manifestPath} implies [batch, ${channels}, ${expected.join(', ')}] (layout ${m.input.layout}, patchSizeXyz ${m.input.patchSizeXyz.join('×')}): ${why}.`,
      );
    if (md.type !== 'float32')
      throw new InferenceError('MODEL_SIGNATURE_MISMATCH', `Model ${modelPath} ${kind} "${name}" is ${md.type}; iseg-qa feeds and reads float32 tensors.`);
    if (shape.length !== 5) throw problem('a 3D model takes rank-5 tensors');
    if (typeof shape[1] === 'number' && shape[1] !== channels) throw problem(`the channel axis is ${shape[1]}, not ${channels}`);
    for (let a = 0; a < 3; a++)
      if (typeof shape[2 + a] === 'number' && shape[2 + a] !== expected[a])
        throw problem(`spatial axis ${a} is ${shape[2 + a]}, not ${expected[a]}; check patchSizeXyz and layout`);
  };
  // inputMetadata/outputMetadata exist from onnxruntime 1.21; older runtimes skip the shape check.
  const meta = s as unknown as {
    inputMetadata?: readonly Ort.InferenceSession.ValueMetadata[];
    outputMetadata?: readonly Ort.InferenceSession.ValueMetadata[];
  };
  checkShape('input', m.input.name, meta.inputMetadata, 1);
  const inMeta = meta.inputMetadata?.find((x) => x.name === m.input.name);
  const batchDim = inMeta?.isTensor ? inMeta.shape[0] : undefined;
  // The last batch of a volume is usually smaller than batchSize, so a fixed batch axis only
  // works when it is 1 and patches go one at a time.
  if (typeof batchDim === 'number' && !(batchDim === 1 && m.slidingWindow.batchSize === 1))
    throw new InferenceError(
      'MODEL_SIGNATURE_MISMATCH',
      `Model ${modelPath} has a fixed batch size of ${batchDim} but ${manifestPath} asks for slidingWindow.batchSize ${m.slidingWindow.batchSize}: export the model with a dynamic batch axis (dynamic_axes={"${m.input.name}": {0: "batch"}}), or use batchSize 1 with a batch-1 model.`,
    );
  checkShape('output', m.output.name, meta.outputMetadata, m.output.channels);
}

function makePredictor(s: Ort.InferenceSession, m: ModelManifest, modelPath: string): PatchPredictor {
  const inName = m.input.name;
  const outName = m.output.name;
  return async (batch, batchShape) => {
    const ort = await loadOrt();
    const input = new ort.Tensor('float32', batch, batchShape as number[]);
    let result: Ort.InferenceSession.OnnxValueMapType;
    try {
      result = await s.run({ [inName]: input }, [outName]);
    } catch (e) {
      throw new InferenceError(
        'PREDICT_FAILED',
        `Model ${modelPath} failed on a batch of shape [${batchShape.join(', ')}]: ${((e as Error)?.message ?? String(e)).split('\n')[0]}`,
        { cause: e },
      );
    }
    const out = result[outName] as Ort.Tensor | undefined;
    if (!out || out.type !== 'float32')
      throw new InferenceError('PREDICT_FAILED', `Model ${modelPath} returned ${out ? out.type : 'no'} tensor "${outName}"; a float32 output is expected.`);
    if (out.dims[0] !== batchShape[0] || out.dims.slice(2).join(',') !== batchShape.slice(2).join(','))
      throw new InferenceError(
        'PREDICT_FAILED',
        `Model ${modelPath} returned "${outName}" of shape [${out.dims.join(', ')}] for an input of shape [${batchShape.join(', ')}]: a segmentation model keeps the batch and spatial sizes.`,
      );
    return out.data as Float32Array;
  };
}

/** Release every cached session (tests, shutdown). Later loadModel calls create new ones. */
export async function releaseModels(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  await Promise.all(entries.map((e) => e.session.then((s) => s.release()).catch(() => undefined)));
}
