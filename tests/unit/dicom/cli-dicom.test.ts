/**
 * `iseg-qa dicom inspect|rasterize` on the rt-utils mock data. The rasterised NIfTI is compared
 * with plastimatch's mask (tests/fixtures/dicom/masks-plastimatch.json.gz; recipe in
 * tests/reference/dicom/make_fixtures.py).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '@/cli/commands/dicom';
import { readMask } from '@/lib/nifti';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const DATA = sharedDataPath();
const MOCK = join(DATA, 'rtutils/mock_data');
const tmp = mkdtempSync(join(tmpdir(), 'iseg-cli-dicom-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout.push(String(s));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe.skipIf(!haveSharedData(MOCK))(referenceSuite(`iseg-qa dicom (needs ${MOCK}; skipped when absent)`), () => {
  it('inspect --json lists the series and both structure sets with ROI counts and findings', async () => {
    expect(await run(['inspect', MOCK, '--json'])).toBe(0);
    const out = JSON.parse(stdout.join(''));
    expect(out.series).toHaveLength(1);
    expect(out.series[0]).toMatchObject({
      modality: 'CT',
      description: 'PHANTOM_EXAMPLE',
      dims: [512, 512, 2],
      spacingMm: [0.488281, 0.488281, 5],
      phase: null,
      orientation: [1, 0, 0, 0, 1, 0],
    });
    expect(out.structureSets.map((s: { file: string }) => s.file.split('/').pop())).toEqual(['invalid_reference_rt.dcm', 'rt.dcm']);
    const rt = out.structureSets[1];
    expect(rt.rois).toEqual([
      {
        number: 1,
        name: 'ROI-1',
        interpretedType: null,
        contourCount: 2,
        pointCount: 12,
        types: ['CLOSED_PLANAR'],
        voxels: 1443,
        volumeCc: expect.closeTo(1443 * 0.488281 * 0.488281 * 5e-3, 3),
      },
    ]);
    expect(rt.findings.map((f: { code: string }) => f.code)).toEqual(['FRAME_OF_REFERENCE_MISMATCH']);
    expect(out.findings.map((f: { code: string }) => f.code)).toEqual(['DUPLICATE_SOP_INSTANCE']);
  });

  it('rasterize writes the mask plastimatch makes', async () => {
    const outPath = join(tmp, 'roi1.nii.gz');
    expect(await run(['rasterize', MOCK, '--roi', 'ROI-1', '--rtstruct', 'invalid_reference_rt.dcm', '--out', outPath, '--json'])).toBe(0);
    const res = JSON.parse(stdout.join(''));
    expect(res.voxels).toBe(4976);
    const mask = readMask(outPath);
    expect(mask.grid.dims).toEqual([512, 512, 2]);
    const ref = JSON.parse(gunzipSync(readFileSync(join(__dirname, '../../fixtures/dicom/masks-plastimatch.json.gz'))).toString()).masks[
      'rtutils/mock_data/invalid_reference_rt.dcm'
    ].rois['ROI-1'];
    const refMask = new Uint8Array(mask.data.length);
    for (let q = 0; q < ref.runs.length; q += 2) refMask.fill(1, ref.runs[q], ref.runs[q] + ref.runs[q + 1]);
    expect(Buffer.from(mask.data).equals(Buffer.from(refMask))).toBe(true);
  });

  it('bad arguments fail with a one-line reason', async () => {
    await expect(run(['rasterize', MOCK, '--roi', 'ROI-1', '--out', join(tmp, 'x.nii.gz')])).rejects.toThrow(/in 2 structure sets.*--rtstruct/);
    await expect(run(['rasterize', MOCK, '--roi', 'Lung', '--out', join(tmp, 'x.nii.gz')])).rejects.toThrow(/No ROI "Lung".*ROI-1/);
    await expect(run(['inspect', join(tmp, 'nope')])).rejects.toThrow(/does not exist/);
    await expect(run(['frobnicate', MOCK])).rejects.toThrow(/Unknown dicom subcommand/);
  });
});
