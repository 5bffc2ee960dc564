/**
 * A tiny synthetic 4D CT patient written as real DICOM for the import tests: the phantom
 * generator (lib/core/phantom + lib/server/seed/write-phantom-cohort.ts) writes one CT series per phase, and
 * lib/dicom's writeRtStruct adds one RTSTRUCT per phase with the physician GTV ("GTV_<p>%"), the
 * phase-0 one also with the physician ITV ("ITV"). The masks are the independent reference:
 * what the import stores must equal them voxel for voxel.
 */
import { join } from 'node:path';
import type { Vec3 } from '@/lib/core/volume';
import { generatePatient, samplePatientSpec, type PhantomPatient } from '@/lib/core/phantom';
import { writePhantomPatient, writePhysicianRtStructs, type WrittenPatient } from '@/lib/server/seed/write-phantom-cohort';

export interface PhantomStudy {
  dir: string;
  dicomDir: string;
  patient: PhantomPatient;
  written: WrittenPatient;
  /** RTSTRUCT file per phase percent. */
  rtstructs: Record<number, string>;
}

export async function writePhantomStudy(
  dir: string,
  options: { seed?: string; index?: number; dims?: Vec3; spacingMm?: Vec3; phasePercents?: number[]; secondObserver?: boolean } = {},
): Promise<PhantomStudy> {
  const seed = options.seed ?? 'import-test';
  const spec = samplePatientSpec(seed, options.index ?? 0);
  const patient = generatePatient(spec, {
    dims: options.dims ?? [48, 48, 24],
    spacingMm: options.spacingMm ?? [6.5, 6.5, 8],
    phasePercents: options.phasePercents,
  });
  const written = writePhantomPatient(dir, seed, patient);
  const dicomDir = join(dir, 'dicom');
  const rtstructs = await writePhysicianRtStructs(dicomDir, patient, written, { secondObserver: options.secondObserver });
  return { dir, dicomDir, patient, written, rtstructs };
}

export function countVoxels(data: ArrayLike<number>): number {
  let n = 0;
  for (let t = 0; t < data.length; t++) n += data[t] ? 1 : 0;
  return n;
}
