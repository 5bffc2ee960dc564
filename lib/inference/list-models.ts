import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferenceError } from '@/lib/core/inference/errors';
import { readModelManifest, sha256Hex } from './load-model';

export interface ModelListing {
  /** Folder name under the models root. */
  folder: string;
  dir: string;
  /** From the manifest (null when it does not validate). */
  name: string | null;
  version: string | null;
  intendedStructure: string | null;
  /** The manifest's sha256 (null when it does not validate). */
  sha256: string | null;
  /** True when the manifest validates and the ONNX file's sha256 equals it. */
  verified: boolean;
  /** Why not verified: the InferenceError code and message. */
  problem: { code: string; message: string } | null;
}

/**
 * Every model folder (a folder with a manifest.json) under `modelsRoot`, with its manifest's
 * identity and whether the ONNX file matches its hash. Starts no session (see loadModel for the
 * provider and tensor-name checks). For a model registry page or `iseg-qa models`.
 * @throws only when `modelsRoot` cannot be listed (Node fs error).
 */
export async function listModels({ modelsRoot }: { modelsRoot: string }): Promise<ModelListing[]> {
  const entries = await readdir(modelsRoot, { withFileTypes: true });
  const out: ModelListing[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(modelsRoot, e.name);
    const item: ModelListing = { folder: e.name, dir, name: null, version: null, intendedStructure: null, sha256: null, verified: false, problem: null };
    try {
      await readFile(path.join(dir, 'manifest.json'));
    } catch {
      continue; // not a model folder (e.g. a training-scripts folder)
    }
    try {
      const { manifest } = await readModelManifest(dir);
      Object.assign(item, { name: manifest.name, version: manifest.version, intendedStructure: manifest.intendedStructure, sha256: manifest.sha256 });
      const file = path.join(dir, manifest.file);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new InferenceError('MODEL_NOT_FOUND', `Model file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
      }
      const actual = sha256Hex(bytes);
      if (actual !== manifest.sha256)
        throw new InferenceError('MODEL_HASH_MISMATCH', `Model file ${file} has sha256 ${actual} but its manifest expects ${manifest.sha256}.`);
      item.verified = true;
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      item.problem = { code: err.code, message: err.message };
    }
    out.push(item);
  }
  return out;
}
