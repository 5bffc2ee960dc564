/**
 * Generate a synthetic 4D CT lung cohort as real files (lib/server/seed/write-phantom-cohort.ts
 * has what is written where).
 *
 *   npx tsx scripts/generate-phantoms.ts --out DIR --patients N --seed S
 *       [--dims 128,128,64] [--spacing 2.5,2.5,3] [--nifti-ct] [--rtstruct] [--json]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Vec3 } from '@/lib/core/volume';
import { generatePhantomCohort } from '@/lib/server/seed/write-phantom-cohort';

function parseTriple(flag: string, text: string | undefined): Vec3 | undefined {
  if (text === undefined) return undefined;
  const v = text.split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new Error(`--${flag} must be three positive numbers separated by commas, got "${text}".`);
  }
  return v as Vec3;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      patients: { type: 'string', default: '40' },
      seed: { type: 'string', default: 'iseg-demo' },
      dims: { type: 'string' },
      spacing: { type: 'string' },
      'nifti-ct': { type: 'boolean', default: false },
      rtstruct: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.out) {
    process.stderr.write(
      'Usage: tsx scripts/generate-phantoms.ts --out DIR [--patients 40] [--seed iseg-demo] [--dims 128,128,64] [--spacing 2.5,2.5,3] [--nifti-ct] [--rtstruct] [--json]\n',
    );
    return values.help ? 0 : 2;
  }
  const patients = Number(values.patients);
  if (!Number.isInteger(patients) || patients < 1) throw new Error(`--patients must be a positive integer, got "${values.patients}".`);
  const manifest = await generatePhantomCohort({
    out: values.out,
    patients,
    seed: values.seed!,
    dims: parseTriple('dims', values.dims),
    spacingMm: parseTriple('spacing', values.spacing),
    niftiCt: values['nifti-ct'],
    rtstruct: values.rtstruct,
    log: values.json ? undefined : (line) => process.stderr.write(line + '\n'),
  });
  if (values.json) {
    process.stdout.write(
      JSON.stringify({ out: resolve(values.out), patients, seed: manifest.seed, dims: manifest.dims, spacingMm: manifest.spacingMm }) + '\n',
    );
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`generate-phantoms: ${err.message}\n`);
      process.exit(2);
    },
  );
}
