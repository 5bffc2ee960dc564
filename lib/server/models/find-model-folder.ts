/**
 * The installed model folder (under ISEG_MODELS_DIR) for a model name, or for a recorded model
 * version. Names are looked up in listModels(), never joined onto a path from the user, so no
 * request can point the server at another folder.
 */
import { listModels, type ModelListing } from '../../inference';
import { env } from '../env';

export async function findInstalledModels({ modelsRoot = env().modelsDir }: { modelsRoot?: string } = {}): Promise<ModelListing[]> {
  try {
    return await listModels({ modelsRoot });
  } catch {
    return []; // no models folder at all: the models page says so
  }
}

/** The verified folder whose manifest is exactly this name, version and sha256, or null. */
export async function findModelFolderForVersion(
  { name, version, sha256 }: { name: string; version: string; sha256: string },
  { modelsRoot }: { modelsRoot?: string } = {},
): Promise<ModelListing | null> {
  const all = await findInstalledModels({ modelsRoot });
  return all.find((m) => m.verified && m.name === name && m.version === version && m.sha256 === sha256) ?? null;
}
