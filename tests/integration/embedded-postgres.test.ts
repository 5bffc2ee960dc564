/**
 * The embedded Postgres: data persists across restarts, and a data directory it cannot use
 * gives a clear error and is left untouched.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-epg-'));
  fs.chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('embedded Postgres', () => {
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('initialises once, and a second start reuses the data', async () => {
    const dir = tempDir();
    const port = await freePort();
    const a = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
    let c = new pg.Client({ connectionString: a.url });
    await c.connect();
    await c.query('CREATE TABLE kept (v text)');
    await c.query("INSERT INTO kept VALUES ('still here')");
    await c.end();
    await a.stop();
    const b = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
    c = new pg.Client({ connectionString: b.url });
    await c.connect();
    const r = await c.query('SELECT v FROM kept');
    await c.end();
    // The app's login: its own generated password, kept 0600 beside the owner's, the same on
    // every start; an ordinary role that cannot read the owner's table.
    const app = new pg.Client({ connectionString: b.appUrl });
    await app.connect();
    const role = await app.query('SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user');
    const denied = await app.query('SELECT v FROM kept').catch((e: Error) => e.message);
    await app.end();
    await b.stop();
    expect(r.rows).toEqual([{ v: 'still here' }]);
    expect(b.url).toBe(a.url);
    expect(b.appUrl).toBe(a.appUrl);
    expect(b.appUrl).not.toBe(b.url);
    expect(role.rows).toEqual([{ rolname: 'iseg_app', rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false }]);
    expect(denied).toMatch(/permission denied for table kept/);
    const pwFile = path.join(dir, 'pg-app-password');
    expect(fs.statSync(pwFile).mode & 0o777).toBe(0o600);
    expect(b.appUrl).toContain(encodeURIComponent(fs.readFileSync(pwFile, 'utf8').trim()));
  });

  it('refuses a data directory from another Postgres version, and changes nothing', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'pg');
    fs.mkdirSync(path.join(data, 'global'), { recursive: true });
    fs.writeFileSync(path.join(data, 'PG_VERSION'), '15\n');
    fs.writeFileSync(path.join(data, 'global', 'pg_control'), 'x');
    const before = snapshot(dir);
    await expect(startEmbeddedPostgres({ dataDir: data, port: await freePort() })).rejects.toMatchObject({
      code: 'PG_VERSION_MISMATCH',
      message: expect.stringContaining('PostgreSQL 15'),
    });
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a corrupt cluster (no pg_control) and a non-empty folder that is not a cluster', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'pg');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'PG_VERSION'), '18\n');
    await expect(startEmbeddedPostgres({ dataDir: data, port: await freePort() })).rejects.toMatchObject({ code: 'PG_CORRUPT' });
    expect(fs.readdirSync(data)).toEqual(['PG_VERSION']);

    const other = path.join(tempDir(), 'pg');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    await expect(startEmbeddedPostgres({ dataDir: other, port: await freePort() })).rejects.toMatchObject({ code: 'PG_CORRUPT' });
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('says so when its port is taken', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      await expect(startEmbeddedPostgres({ dataDir: path.join(tempDir(), 'pg'), port })).rejects.toMatchObject({
        code: 'PG_PORT_IN_USE',
        message: expect.stringContaining('ISEG_PG_PORT'),
      });
    } finally {
      blocker.close();
    }
  });

  // As root the server runs as "postgres"; a data folder it cannot enter (npm start makes
  // ISEG_DATA_DIR 0700 because it holds the session secret) moves the cluster under the
  // relocation root, which must itself be enterable however it was first created.
  it.runIf(process.getuid?.() === 0)('as root, a data folder "postgres" cannot enter moves the cluster to a fresh relocation root', async () => {
    const dir = tempDir();
    const privateData = path.join(dir, 'data');
    fs.mkdirSync(privateData, { mode: 0o700 });
    fs.chmodSync(privateData, 0o700);
    const relocateRoot = path.join(dir, 'var', 'iseg-qa');
    const port = await freePort();
    const a = await startEmbeddedPostgres({ dataDir: path.join(privateData, 'pg'), port, relocateRoot });
    try {
      expect(fs.lstatSync(path.join(privateData, 'pg')).isSymbolicLink()).toBe(true);
      expect(fs.realpathSync(path.join(privateData, 'pg')).startsWith(relocateRoot)).toBe(true);
      expect(fs.statSync(relocateRoot).mode & 0o777).toBe(0o755);
      const c = new pg.Client({ connectionString: a.url });
      await c.connect();
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await c.end();
    } finally {
      await a.stop();
    }
  });
});
