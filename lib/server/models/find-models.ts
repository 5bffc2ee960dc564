/**
 * The models page: every model folder under ISEG_MODELS_DIR (manifest identity, whether the ONNX
 * file matches its sha256, tensor names, patch size, spacing, intended structure, the model
 * card), the registered model versions with their run counts, and which of them the live
 * workers serve. Hashing reads each ONNX file once per call (the demo model is ~2 MB).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { readModelManifest } from '../../inference';
import { findInstalledModels } from './find-model-folder';
import { findLiveWorkers, type LiveWorker } from '../jobs/find-live-workers';
import { RUN_STATUSES, type RunStatusName } from '../jobs/find-segmentation-runs';

export interface InstalledModel {
  folder: string;
  name: string | null;
  version: string | null;
  sha256: string | null;
  verified: boolean;
  problem: { code: string; message: string } | null;
  intendedStructure: string | null;
  description: string | null;
  inputName: string | null;
  outputName: string | null;
  layout: string | null;
  patchSizeXyz: number[] | null;
  targetSpacingMm: number[] | null;
  /** MODEL_CARD.md, if the folder has one. */
  modelCard: string | null;
  /** The folder the workers (and imports) use by default (ISEG_MODEL). */
  isDefault: boolean;
}

export interface RegisteredModelVersion {
  id: string;
  name: string;
  version: string;
  sha256: string;
  createdAt: string;
  runs: Record<RunStatusName, number>;
  /** An installed folder whose file matches this version's sha256. */
  installedFolder: string | null;
  /** Live workers serving exactly this version (same sha256). */
  workers: LiveWorker[];
}

export async function findModels(
  db: Db,
  { caller, modelsRoot, defaultModel }: { caller: Caller; modelsRoot?: string; defaultModel?: string },
): Promise<{ installed: InstalledModel[]; registered: RegisteredModelVersion[]; workers: LiveWorker[]; studies: number }> {
  authorize(caller, 'jobs:view');
  const listings = await findInstalledModels({ modelsRoot });
  const installed: InstalledModel[] = [];
  for (const l of listings) {
    const item: InstalledModel = {
      folder: l.folder,
      name: l.name,
      version: l.version,
      sha256: l.sha256,
      verified: l.verified,
      problem: l.problem,
      intendedStructure: l.intendedStructure,
      description: null,
      inputName: null,
      outputName: null,
      layout: null,
      patchSizeXyz: null,
      targetSpacingMm: null,
      modelCard: null,
      isDefault: l.folder === defaultModel,
    };
    try {
      const { manifest } = await readModelManifest(l.dir);
      Object.assign(item, {
        description: manifest.description ?? null,
        inputName: manifest.input.name,
        outputName: manifest.output.name,
        layout: manifest.input.layout,
        patchSizeXyz: [...manifest.input.patchSizeXyz],
        targetSpacingMm: [...manifest.targetSpacingMm],
      });
    } catch {
      // listModels already reports why the manifest does not validate
    }
    item.modelCard = await readFile(path.join(/*turbopackIgnore: true*/ l.dir, 'MODEL_CARD.md'), 'utf8').catch(() => null);
    installed.push(item);
  }

  const [versions, grouped, workers, studies] = await Promise.all([
    db.modelVersion.findMany({ orderBy: { createdAt: 'desc' } }),
    db.segmentationRun.groupBy({ by: ['modelVersionId', 'status'], _count: { _all: true } }),
    findLiveWorkers(db, { caller }),
    db.study.count(),
  ]);
  const registered = versions.map((v): RegisteredModelVersion => {
    const runs = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatusName, number>;
    for (const g of grouped) if (g.modelVersionId === v.id) runs[g.status as RunStatusName] = g._count._all;
    return {
      id: v.id,
      name: v.name,
      version: v.version,
      sha256: v.sha256,
      createdAt: v.createdAt.toISOString(),
      runs,
      installedFolder: installed.find((m) => m.verified && m.name === v.name && m.version === v.version && m.sha256 === v.sha256)?.folder ?? null,
      workers: workers.filter((w) => w.model?.sha256 === v.sha256 && w.model.name === v.name),
    };
  });
  return { installed, registered, workers, studies };
}
