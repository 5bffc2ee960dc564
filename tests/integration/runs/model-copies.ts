/**
 * Model folders for the routing and fault tests, in a temporary ISEG_MODELS_DIR: copies of the
 * tests' model (tiny-test) and variants of it that are other model versions: another name, and
 * an ONNX file with different bytes (an unknown protobuf field appended, which onnxruntime skips)
 * so its sha256 differs, optionally with another output threshold so its masks differ too.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The tests' model: a fixed filter (tests/fixtures/models/tiny-test/README.md). */
export const TINY_TEST_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');

export interface ModelCopy {
  dir: string;
  name: string;
  version: string;
  sha256: string;
}

export function copyModel(
  modelsDir: string,
  { folder, name = folder, variant, threshold }: { folder: string; name?: string; variant?: number; threshold?: number },
): ModelCopy {
  const dir = path.join(modelsDir, folder);
  fs.mkdirSync(dir, { recursive: true });
  let bytes = fs.readFileSync(path.join(TINY_TEST_DIR, 'model.onnx'));
  // Field 100 (varint) of ModelProto: unknown to ONNX, skipped by the parser, changes the hash.
  if (variant !== undefined) bytes = Buffer.concat([bytes, Buffer.from([0xa0, 0x06, variant & 0x7f])]);
  fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest = JSON.parse(fs.readFileSync(path.join(TINY_TEST_DIR, 'manifest.json'), 'utf8'));
  const out = { ...manifest, name, sha256, ...(threshold !== undefined ? { output: { ...manifest.output, threshold } } : {}) };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(out, null, 2));
  return { dir, name, version: manifest.version, sha256 };
}
