/**
 * `iseg-qa models [--json]`: the models under models/, each with its manifest's name, version,
 * intended structure and sha256, and whether the file on disk matches that hash.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listModels } from '../../lib/inference';
import { printJson } from '../output';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('Usage: iseg-qa models [--json]\nLists models/<name>/ folders and verifies each model file against its manifest sha256.');
    return 0;
  }
  const models = await listModels({
    modelsRoot: process.env.ISEG_MODELS_DIR ? path.resolve(process.env.ISEG_MODELS_DIR) : path.resolve(import.meta.dirname, '..', '..', 'models'),
  });
  if (values.json) printJson({ models });
  else if (models.length === 0) console.log('No models: add models/<name>/model.onnx with a manifest.json (see models/README.md).');
  else
    for (const m of models) {
      console.log(
        `${m.folder.padEnd(14)} ${m.name ?? '?'} ${m.version ?? '?'}  ${m.intendedStructure ?? ''}  sha256 ${m.sha256?.slice(0, 12) ?? '?'}…  ${m.verified ? 'verified' : `PROBLEM ${m.problem?.code}: ${m.problem?.message}`}`,
      );
    }
  return models.every((m) => m.verified) ? 0 : 1;
}
