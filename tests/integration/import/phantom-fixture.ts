/**
 * A tiny synthetic 4D CT patient written as real DICOM for the import tests: the phantom
 * generator (lib/core/phantom + scripts/generate-phantoms.ts) writes one CT series per phase, and
 * lib/dicom's writeRtStruct adds one RTSTRUCT per phase with the physician GTV ("GTV_<p>%"), the
 * phase-0 one also with the physician ITV ("ITV"). The masks are the independent reference:
 * what the import stores must equal them voxel for voxel.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3 } from '@/lib/core/volume';
import { generatePatient, samplePatientSpec, type PhantomPatient } from '@/lib/core/phantom';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import { writePhantomPatient, type WrittenPatient } from '@/scripts/generate-phantoms';

export interface PhantomStudy {
  dir: string;
  dicomDir: string;
  patient: PhantomPatient;
  written: WrittenPatient;
  /** RTSTRUCT file per phase percent. */
  rtstructs: Record<number, string>;
}

export async function writePhantomStudy(dir: string, options: { seed?: string; index?: number; dims?: Vec3; spacingMm?: Vec3; phasePercents?: number[] } = {}): Promise<PhantomStudy> {
  const seed = options.seed ?? 'import-test';
  const spec = samplePatientSpec(seed, options.index ?? 0);
  const patient = generatePatient(spec, {
    dims: options.dims ?? [48, 48, 24],
    spacingMm: options.spacingMm ?? [6.5, 6.5, 8],
    phasePercents: options.phasePercents,
  });
  const written = writePhantomPatient(dir, seed, patient);
  const dicomDir = join(dir, 'dicom');
  const read = await readDicom(dicomDir);
  const rtDir = join(dicomDir, 'rtstruct');
  mkdirSync(rtDir, { recursive: true });
  const rtstructs: Record<number, string> = {};
  patient.phases.forEach((phase, n) => {
    const series = read.series.find((s) => s.seriesInstanceUid === written.phases[n].seriesInstanceUid);
    if (!series) throw new Error(`phantom phase ${phase.phasePercent}% series not read back`);
    const structures = [{ name: `GTV_${phase.phasePercent}%`, mask: phase.physicianGtv }];
    if (n === 0) structures.push({ name: 'ITV', mask: patient.physicianItv });
    const { bytes } = writeRtStruct({ series, structures, label: `PHYS_${phase.phasePercent}`, now: new Date(Date.UTC(2026, 0, 1)) });
    const file = join(rtDir, `rs_phase_${String(phase.phasePercent).padStart(2, '0')}.dcm`);
    writeFileSync(file, bytes);
    rtstructs[phase.phasePercent] = file;
  });
  return { dir, dicomDir, patient, written, rtstructs };
}

export function countVoxels(data: ArrayLike<number>): number {
  let n = 0;
  for (let t = 0; t < data.length; t++) n += data[t] ? 1 : 0;
  return n;
}
