/**
 * The two entry points a user types: `npm start` (scripts/start.ts) must refuse bad
 * configuration and a taken port with a message naming the fix, and `iseg-qa doctor` must say
 * what is wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { TEST_MODELS_DIR } from './helpers/test-models';

const root = path.resolve(import.meta.dirname, '..', '..');

function runStart(env: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-start-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, ISEG_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const created = fs.readdirSync(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { ...r, created };
}

describe('npm start refuses bad set-ups before touching anything', () => {
  it('a bad environment variable stops start-up with its name', () => {
    const r = runStart({ ISEG_EXECUTION_PROVIDER: 'quantum' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ISEG_EXECUTION_PROVIDER="quantum"');
    expect(r.created).toEqual([]);
  });

  it('a taken port is named, with how to choose another', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const r = runStart({ PORT: String(port) });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('PORT=<another port>');
      expect(r.created).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('one npm start per data folder', () => {
  it('a second start on a data folder in use names the running one and changes nothing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-start-lock-'));
    // A live process that looks like a running supervisor (its command line names start.ts).
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'scripts/start.ts'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(dataDir, 'supervisor.pid'), `${holder.pid}\n`);
      const blocker = net.createServer();
      const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
      blocker.close();
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: root,
        env: { ...process.env, ISEG_DATA_DIR: dataDir, PORT: String(port) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`Another npm start (pid ${holder.pid}) is running on the data folder`);
      expect(fs.readdirSync(dataDir)).toEqual(['supervisor.pid']);
    } finally {
      holder.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('iseg-qa CLI', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('doctor');
  });
  afterAll(async () => t.drop());

  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['cli/iseg-qa.mjs', ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('--help lists the commands; an unknown command fails with one line', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['doctor', 'metrics', 'dicom', 'survival', 'import', 'segment']) expect(help.stdout).toContain(c);
    const bad = cli(['frobnicate']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });

  it('doctor reports each check, passing the database and migrations, and failing what is missing', () => {
    const r = cli(['doctor', '--json'], { DATABASE_URL: t.url, ISEG_MODEL: 'no-such-model' });
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.database.ok).toBe(true);
    expect(byName.migrations).toMatchObject({ ok: true });
    expect(byName['job queue'].ok).toBe(true);
    expect(byName.workers).toMatchObject({ ok: false, detail: expect.stringContaining('npm run worker') });
    expect(byName.model).toMatchObject({ ok: false, detail: expect.stringContaining('no-such-model') });
    expect(report.ok).toBe(false);
    expect(r.status).toBe(1);
  });

  it('models lists the model folders with their verified hashes; doctor loads the configured model', () => {
    // The shipped models/ folder holds only models meant for users; the tests' model is elsewhere.
    const shipped = cli(['models', '--json']);
    expect(shipped.status).toBe(0);
    const shippedFolders = (JSON.parse(shipped.stdout) as { models: { folder: string }[] }).models.map((m) => m.folder);
    expect(shippedFolders).toContain('demo');
    expect(shippedFolders).not.toContain('tiny-test');
    const r = cli(['models', '--json'], { ISEG_MODELS_DIR: TEST_MODELS_DIR });
    expect(r.status).toBe(0);
    const { models } = JSON.parse(r.stdout) as { models: { folder: string; verified: boolean; sha256: string }[] };
    expect(models.find((m) => m.folder === 'tiny-test')).toMatchObject({ verified: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const d = cli(['doctor', '--json'], { DATABASE_URL: t.url, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test' });
    const checks = JSON.parse(d.stdout).checks as { name: string; ok: boolean }[];
    expect(checks.find((c) => c.name === 'model')?.ok).toBe(true);
    expect(checks.find((c) => c.name === 'execution provider (cpu)')?.ok).toBe(true);
    // A provider that cannot start is a failure, never a silent fall-back to the CPU.
    const cuda = cli(['doctor', '--json'], { DATABASE_URL: t.url, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test', ISEG_EXECUTION_PROVIDER: 'cuda' });
    const cudaCheck = (JSON.parse(cuda.stdout).checks as { name: string; ok: boolean; detail: string }[]).find((c) => c.name === 'execution provider (cuda)');
    expect(cudaCheck).toMatchObject({ ok: false, detail: expect.stringContaining('cuda') });
  });

  it('doctor names an unreachable database', () => {
    const r = cli(['doctor', '--json'], { DATABASE_URL: 'postgresql://nobody:x@127.0.0.1:1/none' });
    const report = JSON.parse(r.stdout);
    expect(report.checks.find((c: { name: string }) => c.name === 'database')).toMatchObject({ ok: false, detail: expect.stringContaining('DATABASE_URL') });
    expect(r.status).toBe(1);
  });
});
