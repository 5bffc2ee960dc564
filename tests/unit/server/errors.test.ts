/**
 * The one error-mapping layer (lib/server/errors.ts): codes → HTTP statuses, and the low-level
 * failures with a cause outside our code (full disk, unreachable database, allocation on a
 * too-large input, lib/dicom and raster input errors) → a coded AppError whose message names the
 * thing and what to check. The errors are produced for real where that is cheap (a refused TCP
 * connection, a failed allocation, a Prisma client against a closed port).
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RasterError } from '@/lib/core/raster/errors';
import { DicomError } from '@/lib/dicom/findings';
import { createDb } from '@/lib/server/db/client';
import {
  AppError,
  databaseUnavailable,
  describeDatabaseUrl,
  httpStatusFor,
  isAllocationFailure,
  storageFullCode,
  toActionError,
  toAppError,
  toHttpError,
} from '@/lib/server/errors';

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function errno(code: string, path?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: failed, write '${path ?? ''}'`) as NodeJS.ErrnoException;
  e.code = code;
  if (path) e.path = path;
  return e;
}

describe('error mapping', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives every code its HTTP status', () => {
    expect(
      Object.fromEntries(
        (
          [
            'UNAUTHORIZED',
            'FORBIDDEN',
            'NOT_FOUND',
            'INVALID_INPUT',
            'CONFLICT',
            'PAYLOAD_TOO_LARGE',
            'TOO_MANY_REQUESTS',
            'UNAVAILABLE',
            'STORAGE_FULL',
            'INTERNAL',
          ] as const
        ).map((c) => [c, httpStatusFor(c)]),
      ),
    ).toEqual({
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      INVALID_INPUT: 400,
      CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      TOO_MANY_REQUESTS: 429,
      UNAVAILABLE: 503,
      STORAGE_FULL: 507,
      INTERNAL: 500,
    });
  });

  it('passes AppError through unchanged and hides anything unknown behind INTERNAL', () => {
    const e = new AppError('FORBIDDEN', 'The researcher role may not enqueue jobs.');
    expect(toAppError(e)).toBe(e);
    expect(toHttpError(e)).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'The researcher role may not enqueue jobs.' } } });
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const secret = new TypeError("Cannot read properties of undefined (reading 'grid') at /srv/app/lib/x.ts:12");
    const mapped = toHttpError(secret);
    expect(mapped.status).toBe(500);
    expect(JSON.stringify(mapped)).not.toContain('/srv/app');
    expect(log).toHaveBeenCalledWith(secret);
  });

  it('maps a full disk, a used-up quota and a file size limit to STORAGE_FULL (507), naming the store and what to do', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
      expect(storageFullCode(errno(code))).toBe(code);
      const e = toAppError(errno(code, '/data/volumes/tmp/x.part'), { storage: 'the volume store at /data/volumes', storageHint: 'Free space there.' });
      expect(e.code).toBe('STORAGE_FULL');
      expect(e.message).toContain('the volume store at /data/volumes');
      expect(e.message).toContain(code);
      expect(e.message).toContain('Free space there.');
    }
    expect(toHttpError(errno('ENOSPC')).status).toBe(507);
    expect(storageFullCode(errno('ENOENT'))).toBeNull();
    expect(toAppError(errno('ENOENT')).code).toBe('INTERNAL');
  });

  it('maps a refused connection to UNAVAILABLE (503) naming host and port, never the password', async () => {
    const port = await closedPort();
    const refused = await new Promise<Error>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', resolve);
    });
    expect(databaseUnavailable(refused)).toMatchObject({ why: 'unreachable', host: '127.0.0.1', port });
    const url = `postgresql://iseg:top-secret@127.0.0.1:${port}/iseg`;
    const e = toAppError(refused, { databaseUrl: url });
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain(`127.0.0.1:${port}/iseg`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain('top-secret');
    expect(describeDatabaseUrl(url)).toBe(`127.0.0.1:${port}/iseg (user iseg)`);
    expect(describeDatabaseUrl('postgres//iseg:pw-123@db host')).not.toContain('pw-123');
    // "localhost" tries ::1 and 127.0.0.1: an AggregateError with an empty message.
    const agg = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED', address: '::1', port: 1 })], '');
    expect(toAppError(agg).code).toBe('UNAVAILABLE');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(toHttpError(refused).status).toBe(503);
  });

  it('maps the pg driver’s own refusals (SQLSTATE 28P01, 28000, 3D000: what pg-boss throws) to UNAVAILABLE saying why', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
    const url = 'postgresql://iseg:top-secret@127.0.0.1:5432/iseg';
    const password = toAppError(pgError('28P01', 'password authentication failed for user "iseg"'), { databaseUrl: url });
    expect(password.code).toBe('UNAVAILABLE');
    expect(password.message).toMatch(/^The database refused the user name or password at 127\.0\.0\.1:5432\/iseg/);
    expect(password.message).not.toContain('top-secret');
    expect(databaseUnavailable(pgError('28000', 'no pg_hba.conf entry'))?.why).toBe('authentication');
    expect(databaseUnavailable(pgError('3D000', 'database "nope" does not exist'))?.why).toBe('no-database');
    // Other SQLSTATEs (a constraint, a syntax error) are not "the database is down".
    expect(databaseUnavailable(pgError('23505', 'duplicate key'))).toBeNull();
  });

  it('maps Prisma’s "can’t reach database server" (P1001, message starting with a blank line) to UNAVAILABLE with host and port', async () => {
    const port = await closedPort();
    const db = createDb(`postgresql://iseg:top-secret@127.0.0.1:${port}/iseg`);
    let thrown: unknown;
    try {
      await db.study.findFirst();
    } catch (e) {
      thrown = e;
    } finally {
      await db.$disconnect();
    }
    expect(thrown).toBeDefined();
    const e = toAppError(thrown, { databaseHint: 'is `npm start` running?' });
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(new RegExp(`^Cannot reach the database at 127\\.0\\.0\\.1:${port} \\(P1001`));
    expect(e.message).toContain('is `npm start` running?');
    expect(e.message).not.toContain('top-secret');
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('maps an allocation failure to INVALID_INPUT only when the caller names the input that sized it', () => {
    let oom: unknown;
    try {
      new Float32Array(65535 * 65535 * 16);
    } catch (e) {
      oom = e;
    }
    expect(isAllocationFailure(oom)).toBe(true);
    expect(isAllocationFailure(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    const e = toAppError(oom, { input: 'Series 1.2.3 (65535×65535 pixels, 16 slices)' });
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain('Series 1.2.3 (65535×65535 pixels, 16 slices) is too large');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(toAppError(oom).code).toBe('INTERNAL');
  });

  it('maps lib/dicom and raster input errors to INVALID_INPUT with their message', () => {
    expect(toAppError(new DicomError('UNSUPPORTED', 'Series 1.2 cannot be loaded: no grid'))).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Series 1.2 cannot be loaded: no grid',
    });
    expect(toAppError(new RasterError('INVALID_INPUT', 'Contour 3 has a non-finite coordinate'))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('gives server actions a result instead of a throw: code, status and message', () => {
    expect(toActionError(new AppError('FORBIDDEN', 'The researcher role may not enqueue jobs.'))).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      status: 403,
      error: 'The researcher role may not enqueue jobs.',
    });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(toActionError(errno('ENOSPC'))).toMatchObject({ ok: false, code: 'STORAGE_FULL', status: 507 });
    expect(toActionError(new Error('boom at /srv'))).toEqual({
      ok: false,
      code: 'INTERNAL',
      status: 500,
      error: 'The action failed on the server; the server log has details.',
    });
  });
});
