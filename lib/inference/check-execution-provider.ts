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
