/**
 * Can onnxruntime-node start the requested execution provider? With a model file, a real
 * session is created on it (the only reliable test: a provider that cannot start fails here).
 * Never falls back to another provider.
 */
import fs from 'node:fs';

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export async function checkExecutionProvider({
  provider,
  modelPath,
}: {
  provider: ExecutionProvider;
  modelPath?: string;
}): Promise<{ ok: boolean; detail: string }> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return { ok: false, detail: `onnxruntime-node does not load: ${(e as Error).message}. Reinstall with npm install.` };
  }
  if (!modelPath || !fs.existsSync(modelPath)) {
    return { ok: true, detail: `onnxruntime-node ${ort.env.versions?.common ?? ''} loads; provider "${provider}" is checked once a model exists` };
  }
  try {
    const session = await ort.InferenceSession.create(modelPath, { executionProviders: [provider] });
    const names = `inputs ${session.inputNames.join(',')} → outputs ${session.outputNames.join(',')}`;
    await session.release();
    return { ok: true, detail: `a ${provider} session starts on ${modelPath} (${names})` };
  } catch (e) {
    const hint =
      provider === 'cuda'
        ? ' The CUDA provider needs a GPU host and an install with ONNXRUNTIME_NODE_INSTALL=cuda12.'
        : provider === 'webgpu'
          ? ' The WebGPU provider needs a GPU with a current Vulkan driver.'
          : '';
    return { ok: false, detail: `provider "${provider}" cannot start: ${(e as Error).message.split('\n')[0]}.${hint}` };
  }
}

/**
 * The start-up check for a model folder, as the worker does it: manifest valid, ONNX file hash
 * equal to the manifest's, a session on `provider`, tensor names and shapes as the manifest says
 * (loadModel). For `iseg-qa doctor` and a model registry page; never throws.
 */
export async function checkModel({
  modelDir,
  provider,
}: {
  modelDir: string;
  provider: ExecutionProvider;
}): Promise<{ ok: boolean; code: string | null; detail: string }> {
  const { loadModel } = await import('./load-model');
  try {
    const m = await loadModel({ modelDir, provider });
    return { ok: true, code: null, detail: `${m.name} ${m.version} (sha256 ${m.sha256}) runs on ${provider}` };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { ok: false, code: typeof code === 'string' ? code : null, detail: (e as Error).message };
  }
}
