/**
 * The ModelVersion row for a model folder: name, version, the verified sha256 of the ONNX file
 * and the whole manifest, so every run records exactly which model produced it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client';
import { AppError } from '../errors';

export async function registerModelVersion(db: Db, { modelDir }: { modelDir: string }): Promise<{ id: string; name: string; version: string; sha256: string }> {
  let manifest: { name?: string; version?: string; sha256?: string; file?: string };
  try {
    manifest = JSON.parse(await fs.readFile(path.join(/*turbopackIgnore: true*/ modelDir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new AppError('UNAVAILABLE', `No usable model in ${modelDir}: ${(e as Error).message}. Check ISEG_MODEL and models/README.md.`);
  }
  // Model files are read at run time, not bundled: keep Next's output tracing out of models/.
  const file = path.join(/*turbopackIgnore: true*/ modelDir, manifest.file ?? 'model.onnx');
  const sha256 = createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
  if (!manifest.name || !manifest.version || manifest.sha256 !== sha256) {
    throw new AppError('UNAVAILABLE', `Model ${file} does not match its manifest (sha256 ${sha256}, manifest ${manifest.sha256 ?? 'none'}).`);
  }
  const row = await db.modelVersion.upsert({
    where: { name_version_sha256: { name: manifest.name, version: manifest.version, sha256 } },
    create: { name: manifest.name, version: manifest.version, sha256, manifest: manifest as object },
    update: {},
  });
  return { id: row.id, name: row.name, version: row.version, sha256 };
}
