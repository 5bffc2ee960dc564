import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePatient, samplePatientSpec } from '@/lib/core/phantom';
import { readMask, readNifti } from '@/lib/nifti';
import { generatePhantomCohort } from '@/lib/server/seed/write-phantom-cohort';

const root = mkdtempSync(join(tmpdir(), 'phantoms-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('generatePhantomCohort (lib/server/seed/write-phantom-cohort.ts)', () => {
  const opts = {
    patients: 2,
    seed: 'script-test',
    dims: [32, 32, 16] as [number, number, number],
    spacingMm: [10, 10, 12] as [number, number, number],
    niftiCt: true,
  };

  it('writes 10 DICOM series, NIfTI masks and a manifest per patient, reproducibly', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const manifest = await generatePhantomCohort({ ...opts, out: a });
    await generatePhantomCohort({ ...opts, out: b });
    const ta = tree(a);
    expect(tree(b)).toEqual(ta);

    const files = Object.keys(ta);
    for (const pid of ['PHANTOM-0001', 'PHANTOM-0002']) {
      for (const p of ['00', '10', '20', '30', '40', '50', '60', '70', '80', '90']) {
        expect(files.filter((f) => f.startsWith(`${pid}/dicom/phase_${p}/`) && f.endsWith('.dcm'))).toHaveLength(16);
        expect(files).toContain(`${pid}/nifti/physician_gtv_phase_${p}.nii.gz`);
        expect(files).toContain(`${pid}/nifti/truth_gtv_phase_${p}.nii.gz`);
      }
      expect(files).toContain(`${pid}/nifti/physician_itv.nii.gz`);
      // Nothing but DICOM under dicom/.
      expect(files.filter((f) => f.startsWith(`${pid}/dicom/`) && !f.endsWith('.dcm'))).toEqual([]);
    }

    const json = JSON.parse(readFileSync(join(a, 'cohort.json'), 'utf8'));
    expect(json.synthetic).toBe(true);
    expect(json.cohort).toHaveLength(2);
    expect(json.cohort[0].name).toBe('PHANTOM^ALPHA');
    expect(json.cohort[0].uids.series).toHaveLength(10);
    expect(json.cohort[0].outcome).toHaveProperty('competingStatus');
    expect(manifest.cohort).toHaveLength(2);

    // The masks on disk are the generator's masks, on the CT's grid.
    const patient = generatePatient(samplePatientSpec('script-test', 1), { dims: opts.dims, spacingMm: opts.spacingMm });
    const itv = readMask(join(a, 'PHANTOM-0002/nifti/physician_itv.nii.gz'));
    expect(Array.from(itv.data)).toEqual(Array.from(patient.physicianItv.data));
    const ct = readNifti(join(a, 'PHANTOM-0002/nifti/ct_phase_30.nii.gz'));
    expect(Array.from(ct.data)).toEqual(Array.from(patient.phases[3].ct!.data));
    expect(json.cohort[1].summary.missedTumourVoxels).toBe(patient.summary.missedTumourVoxels);

    const csv = readFileSync(join(a, 'outcomes.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^patient_id,pseudonym,institution_id,missed_tumour_voxels,time_days,status,/);
  });
});
