/**
 * `iseg-qa import DIR` as a user runs it (a child process, DATABASE_URL and ISEG_VOLUME_DIR set):
 * a cohort folder with a folder per patient imports one study each, prints the JSON summary,
 * records `cli:<os user>` in the audit log, and a second run is a no-op.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/iseg-qa.mjs', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('iseg-qa import', () => {
  let t: TestDatabase;
  let tmp: string;
  let env: Record<string, string>;
  const patients: PhantomStudy[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('import_cli');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-cli-'));
    const small = { dims: [32, 32, 16] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };
    for (const index of [0, 1]) patients.push(await writePhantomStudy(join(tmp, 'cohort', `PAT${index}`), { ...small, index, seed: 'cli' }));
    writeFileSync(join(tmp, 'cohort', 'cohort.json'), '{}');
    env = { DATABASE_URL: t.url, ISEG_VOLUME_DIR: join(tmp, 'volumes'), ISEG_DATA_DIR: join(tmp, 'data') };
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('imports one study per patient folder, prints the JSON summary and plain progress lines on a non-TTY stderr', async () => {
    const r = await cli(['import', join(tmp, 'cohort'), '--json'], env);
    expect(r.stderr).toContain('loading');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ imported: 2, alreadyImported: 0, failed: 0 });
    expect(out.studies).toHaveLength(2);
    for (const s of out.studies) {
      expect(s).toMatchObject({ alreadyImported: false, source: 'DICOM', seriesCount: 2, structureCount: 3 });
      expect(s.pseudonym).toMatch(/^P-/);
      // The NIfTI masks next to the DICOM are reported, not imported.
      expect(s.findings.some((f: { code: string }) => f.code === 'IGNORED_FILE')).toBe(true);
    }
    const studies = await t.db.study.findMany({ include: { patient: { include: { identity: true } } } });
    expect(studies.map((s) => s.patient.identity!.mrn).sort()).toEqual(patients.map((p) => p.patient.spec.patientId).sort());
    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.import' } });
    expect(audit.map((a) => a.userId)).toEqual([`cli:${os.userInfo().username}`, `cli:${os.userInfo().username}`]);
    expect(audit.every((a) => a.role === 'PHYSICIST')).toBe(true);
  });

  it('a second run is a no-op; a single patient folder is one study; bad flags exit 2 with one line', async () => {
    const again = await cli(['import', join(tmp, 'cohort'), '--json'], env);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, alreadyImported: 2, failed: 0 });
    const one = await cli(['import', patients[0].dicomDir], env);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/already imported study \S+ \(patient P-\w+\): 2 series, 3 structures/);
    const bad = await cli(['import', join(tmp, 'cohort'), '--phase-map', 'nonsense'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('is not SERIES_UID=percent');
    expect(await t.db.study.count()).toBe(2);
  });

  it('exits 1 and reports the folder when a study cannot be imported', async () => {
    const empty = join(tmp, 'bad-cohort');
    await writePhantomStudy(join(empty, 'ok'), { dims: [32, 32, 16], spacingMm: [10, 10, 12], phasePercents: [0], index: 5, seed: 'cli' });
    const rtOnly = join(empty, 'rt-only');
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(rtOnly);
    // An RTSTRUCT whose CT is neither in the folder nor stored (a stored one would be merged).
    const unimported = await writePhantomStudy(join(tmp, 'never-imported'), {
      dims: [32, 32, 16],
      spacingMm: [10, 10, 12],
      phasePercents: [0],
      index: 6,
      seed: 'cli',
    });
    copyFileSync(unimported.rtstructs[0], join(rtOnly, 'rs.dcm'));
    const r = await cli(['import', empty, '--json'], env);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ imported: 1, failed: 1 });
    expect(out.failures[0]).toMatchObject({ dir: rtOnly, error: { code: 'INVALID_INPUT', message: expect.stringContaining('No CT images') } });
  });

  it('imports compressed CT through the bundled CLI: JPEG 2000, then JPEG-LS, JPEG lossless and RLE copies of the same series are no-ops (same voxels)', async () => {
    const fix = join(root, 'tests/fixtures/dicom/compressed/totalseg');
    const r = await cli(['import', join(fix, 'j2k'), '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ imported: 1, failed: 0 });
    expect(out.studies[0]).toMatchObject({ alreadyImported: false, seriesCount: 1 });
    const study = await t.db.study.findUniqueOrThrow({ where: { id: out.studies[0].studyId }, include: { series: true } });
    expect(study.series.map((x) => x.dims)).toEqual([[80, 96, 2]]);
    // The same series in another lossless syntax decodes to the same voxels: nothing to add.
    for (const variant of ['jpeg-ls', 'jpeg-lossless-sv1', 'rle']) {
      const other = await cli(['import', join(fix, variant), '--json'], env);
      expect(other.status, other.stderr).toBe(0);
      expect(JSON.parse(other.stdout), variant).toMatchObject({ imported: 0, alreadyImported: 1 });
    }
    const after = await t.db.study.findUniqueOrThrow({ where: { id: study.id }, include: { series: true } });
    expect(after.series.map((x) => x.volumeSha256)).toEqual(study.series.map((x) => x.volumeSha256));
    const inspect = await cli(['dicom', 'inspect', join(fix, 'jpeg-lossless-sv1'), '--json'], env);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).series[0]).toMatchObject({ dims: [80, 96, 2] });
  });
});
