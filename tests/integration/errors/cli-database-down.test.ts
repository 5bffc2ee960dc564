/**
 * `iseg-qa import DIR` with the database unreachable (issue 12 item 8) printed `iseg-qa: ` and
 * nothing else: Prisma's "can't reach database server" message starts with a blank line, and the
 * CLI prints the first line. Now it prints one line naming the database (host, port, database;
 * never the password) and what to check, exits 1, and writes nothing to the volume store.
 * The CLI runs as a user runs it (a child process); the database is a closed local port and,
 * for a wrong password, the suite's real Postgres.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/iseg-qa.mjs', ...args], { cwd: root, env: { ...process.env, ...env } as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('iseg-qa import with the database unreachable', () => {
  let tmp: string;
  let phantom: PhantomStudy;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'iseg-cli-dbdown-'));
    phantom = await writePhantomStudy(join(tmp, 'patient'), { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 5, seed: 'dbdown' });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('names host, port and database and says what to check, on one line, exit 1, nothing stored', async () => {
    const port = await closedPort();
    const volumes = join(tmp, 'volumes-1');
    const r = await cli(['import', phantom.dicomDir], {
      DATABASE_URL: `postgresql://iseg:pw-not-shown@127.0.0.1:${port}/iseg`,
      ISEG_VOLUME_DIR: volumes,
      ISEG_DATA_DIR: join(tmp, 'data'),
    });
    expect(r.status, r.stderr).toBe(1);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(new RegExp(`^iseg-qa: import stopped: Cannot reach the database at 127\\.0\\.0\\.1:${port}/iseg \\(user iseg\\)`));
    expect(last).toContain('check that Postgres is running there and that DATABASE_URL names the right host, port and database');
    expect(r.stderr).not.toContain('pw-not-shown');
    expect(r.stderr).not.toMatch(/^iseg-qa: $/m);
    expect(existsSync(volumes)).toBe(false);
  });

  it('without DATABASE_URL, names the embedded database of `npm start` and asks whether it is running', async () => {
    const port = await closedPort();
    const dataDir = join(tmp, 'data-embedded');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'pg-password'), 'embedded-secret\n');
    const r = await cli(['import', phantom.dicomDir], {
      DATABASE_URL: '',
      ISEG_DATA_DIR: dataDir,
      ISEG_PG_PORT: String(port),
      ISEG_VOLUME_DIR: join(tmp, 'volumes-2'),
    });
    expect(r.status, r.stderr).toBe(1);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toContain(`Cannot reach the database at 127.0.0.1:${port}/iseg`);
    expect(last).toContain('is `npm start` running in this checkout?');
    expect(r.stderr).not.toContain('embedded-secret');
  });

  it('with a wrong password on a running Postgres, says the password was refused', async () => {
    const u = new URL(adminUrl());
    u.password = 'certainly-wrong-password';
    u.pathname = '/postgres';
    const r = await cli(['import', phantom.dicomDir], {
      DATABASE_URL: u.toString(),
      ISEG_VOLUME_DIR: join(tmp, 'volumes-3'),
      ISEG_DATA_DIR: join(tmp, 'data'),
    });
    expect(r.status, r.stderr).toBe(1);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last, r.stderr).toMatch(/^iseg-qa: import stopped: The database refused the user name or password at /);
    expect(r.stderr).not.toContain('certainly-wrong-password');
  });
});
