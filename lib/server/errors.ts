/**
 * Application errors carry a code; the HTTP status of each code lives here and nowhere else.
 *
 * One mapping layer for every surface: route handlers (`toHttpError`), server actions
 * (`toActionError`) and the CLI (`toAppError`, then its message) turn whatever was thrown into an
 * AppError with `toAppError`. Besides AppError itself it recognises the low-level failures that
 * have a clear cause outside our code, so that they reach the user as a named condition with what
 * to check instead of a bare 500:
 * - a full disk or quota (ENOSPC, EDQUOT, EFBIG) → STORAGE_FULL (507);
 * - a database that cannot be reached or refuses the connection (Prisma P1000–P1017, P2024, the
 *   driver adapter's DatabaseNotReachable…, pg/net ECONNREFUSED, ENOTFOUND, SQLSTATE 57P0x/08xxx,
 *   28000/28P01 (user or password refused) and 3D000 (no such database) from the pg driver itself)
 *   → UNAVAILABLE (503), naming host and port (never the password);
 * - a RangeError from allocating an array whose size the input decided (the caller says so with
 *   `context.input`) → INVALID_INPUT naming that input;
 * - lib/dicom and lib/core/raster input errors (DicomError, RasterError) → INVALID_INPUT.
 * Anything else is INTERNAL (500): logged in full, shown as "the server log has details".
 */
import { DicomError } from '@/lib/dicom/findings';
import { RasterError } from '@/lib/core/raster/errors';

export type AppErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'UNAVAILABLE'
  | 'STORAGE_FULL'
  | 'INTERNAL';

const HTTP_STATUS: Record<AppErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  STORAGE_FULL: 507,
  INTERNAL: 500,
};

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function httpStatusFor(code: AppErrorCode): number {
  return HTTP_STATUS[code];
}

/** What the caller knows about the failed operation, so that a mapped message can name it. */
export interface ErrorContext {
  /** The database URL the operation used; an unreachable database is named by host, port and database (never the password). */
  databaseUrl?: string;
  /** Replaces the default "what to check" of an unreachable database (e.g. "is `npm start` running?"). */
  databaseHint?: string;
  /** Where the failed write went, e.g. "the volume store at /data/volumes" (named when the disk is full). */
  storage?: string;
  /** What to do about a full disk, e.g. "free space there or set ISEG_VOLUME_DIR to a larger disk". */
  storageHint?: string;
  /**
   * The input whose size decided an allocation, e.g. 'series 1.2.3 (65535×65535 pixels, 16 slices)':
   * a RangeError from allocating memory then becomes INVALID_INPUT naming it.
   */
  input?: string;
}

const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file size limit was reached',
};

/** The errno code (ENOSPC, EDQUOT, EFBIG) when `e` says a disk, quota or file size limit is full. */
export function storageFullCode(e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in STORAGE_CODES ? code : null;
}

/** True for the RangeErrors V8 raises when an array or buffer cannot be allocated. */
export function isAllocationFailure(e: unknown): boolean {
  return (
    e instanceof RangeError && /allocation failed|invalid (typed )?array( buffer)? length|array buffer.*(too large|exceeds)|out of memory/i.test(e.message)
  );
}

/** "host:port/database (user u)" of a Postgres URL, without its password (a URL that does not parse is not shown at all). */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, '');
    return `${u.hostname}:${u.port || '5432'}${db ? `/${decodeURIComponent(db)}` : ''}${u.username ? ` (user ${decodeURIComponent(u.username)})` : ''}`;
  } catch {
    return 'a URL that does not parse (check DATABASE_URL)';
  }
}

const NET_DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
// SQLSTATE: admin/crash shutdown, cannot connect now, too many connections, connection failures.
const SQLSTATE_DOWN = /^(57P0[1-3]|53300|08\d{3})$/;
// SQLSTATE from the pg driver itself (pg-boss, raw pools): the password or user refused, no such database.
const SQLSTATE_AUTH = /^28(000|P01)$/;
const SQLSTATE_NO_DATABASE = '3D000';
const PRISMA_DOWN = new Set(['P1000', 'P1001', 'P1002', 'P1003', 'P1008', 'P1010', 'P1011', 'P1017', 'P2024']);
const ADAPTER_DOWN = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);

interface DbDown {
  why: 'unreachable' | 'authentication' | 'no-database' | 'busy' | 'closed';
  host?: string;
  port?: number;
  detail: string;
}

/** When `e` says the database cannot be reached (or refused us), what and where; else null. */
export function databaseUnavailable(e: unknown): DbDown | null {
  const err = e as {
    name?: string;
    code?: unknown;
    errorCode?: unknown;
    message?: unknown;
    meta?: unknown;
    address?: unknown;
    port?: unknown;
    errors?: unknown;
    cause?: unknown;
  } | null;
  if (!err || typeof err !== 'object') return null;
  const prismaCode = typeof err.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : typeof err.errorCode === 'string' ? err.errorCode : undefined;
  const adapter = (err.meta as { driverAdapterError?: { cause?: { kind?: string; host?: string; port?: number } } } | undefined)?.driverAdapterError?.cause;
  if (
    typeof err.name === 'string' &&
    err.name.startsWith('PrismaClient') &&
    ((prismaCode && PRISMA_DOWN.has(prismaCode)) || (adapter?.kind && ADAPTER_DOWN.has(adapter.kind)))
  ) {
    const kind = adapter?.kind ?? '';
    const why: DbDown['why'] =
      prismaCode === 'P1000' || /Authentication|AccessDenied/.test(kind)
        ? 'authentication'
        : prismaCode === 'P1003' || kind === 'DatabaseDoesNotExist'
          ? 'no-database'
          : prismaCode === 'P2024' || kind === 'TooManyConnections'
            ? 'busy'
            : prismaCode === 'P1017' || kind === 'ConnectionClosed'
              ? 'closed'
              : 'unreachable';
    const msg = typeof err.message === 'string' ? err.message.trim().split('\n').filter(Boolean).pop() : undefined;
    return { why, host: adapter?.host, port: adapter?.port, detail: `${prismaCode ?? kind}${msg ? `: ${msg}` : ''}` };
  }
  const code = typeof err.code === 'string' ? err.code : '';
  if (NET_DOWN.has(code) || SQLSTATE_DOWN.test(code) || SQLSTATE_AUTH.test(code) || code === SQLSTATE_NO_DATABASE) {
    return {
      why: SQLSTATE_AUTH.test(code)
        ? 'authentication'
        : code === SQLSTATE_NO_DATABASE
          ? 'no-database'
          : code === '53300'
            ? 'busy'
            : code.startsWith('57P')
              ? 'closed'
              : 'unreachable',
      host: typeof err.address === 'string' ? err.address : undefined,
      port: typeof err.port === 'number' ? err.port : undefined,
      detail: `${code}${typeof err.message === 'string' && err.message ? `: ${err.message}` : ''}`,
    };
  }
  // net.connect to "localhost" tries ::1 and 127.0.0.1 and rejects with an AggregateError (empty message).
  if (Array.isArray(err.errors))
    for (const inner of err.errors) {
      const d = databaseUnavailable(inner);
      if (d) return d;
    }
  if (err.cause && err.cause !== e) return databaseUnavailable(err.cause);
  return null;
}

const DB_WHY: Record<DbDown['why'], string> = {
  unreachable: 'Cannot reach the database',
  authentication: 'The database refused the user name or password',
  'no-database': 'The database named in the connection URL does not exist',
  busy: 'The database has no free connection',
  closed: 'The database closed the connection (it was stopped or restarted)',
};

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (
    m
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? (e instanceof Error ? e.name : 'error')
  );
}

/**
 * Any thrown value as an AppError: AppError as it is, known low-level failures mapped (see the
 * file comment), anything else INTERNAL with a message that hides internals. The original error
 * is kept as `cause`.
 */
export function toAppError(e: unknown, context: ErrorContext = {}): AppError {
  if (e instanceof AppError) return e;
  const wrap = (code: AppErrorCode, message: string, details?: unknown) => {
    const out = new AppError(code, message, details);
    (out as { cause?: unknown }).cause = e;
    return out;
  };
  const full = storageFullCode(e);
  if (full) {
    const where = context.storage ?? 'the server’s disk';
    const path = (e as NodeJS.ErrnoException).path;
    return wrap(
      'STORAGE_FULL',
      `Storage full: ${where} cannot take more data (${full}: ${STORAGE_CODES[full]}${path ? `, writing ${path}` : ''}). ${context.storageHint ?? 'Free space on that disk (df -h shows it) or ask the administrator to, then try again.'}`,
    );
  }
  const db = databaseUnavailable(e);
  if (db) {
    const where = context.databaseUrl
      ? describeDatabaseUrl(context.databaseUrl)
      : db.host
        ? `${db.host}${db.port ? `:${db.port}` : ''}`
        : 'the configured address';
    const check =
      context.databaseHint ??
      (db.why === 'authentication'
        ? 'check the user name and password in DATABASE_URL.'
        : db.why === 'no-database'
          ? 'check the database name in DATABASE_URL, and that the migrations ran (npm start runs them).'
          : db.why === 'busy'
            ? 'try again shortly; if it persists, check for stuck connections or raise max_connections.'
            : 'check that Postgres is running (npm start runs the embedded one) and that DATABASE_URL names the right host and port.');
    return wrap('UNAVAILABLE', `${DB_WHY[db.why]} at ${where} (${db.detail.split('\n')[0]}): ${check}`);
  }
  if (isAllocationFailure(e) && context.input) {
    return wrap(
      'INVALID_INPUT',
      `${context.input} is too large to hold in memory (${firstLine(e)}): check its dimensions; the header may be wrong or the file damaged.`,
    );
  }
  if (e instanceof DicomError) return wrap(e.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'INVALID_INPUT', e.message, { findings: e.findings });
  if (e instanceof RasterError) return wrap('INVALID_INPUT', e.message);
  return wrap('INTERNAL', 'Internal error; the server log has details.');
}

/** The error as it reaches a user: code, HTTP status and message. */
export interface MappedError {
  code: AppErrorCode;
  status: number;
  message: string;
}

/** Maps and logs: INTERNAL in full; a mapped low-level failure as its message plus the original's first line. */
function mapError(e: unknown, context: ErrorContext = {}): MappedError {
  const app = toAppError(e, context);
  if (app.code === 'INTERNAL' && app !== e) console.error(e);
  else if (app !== e) console.error(`[${app.code}] ${app.message} (${firstLine(e)})`);
  return { code: app.code, status: httpStatusFor(app.code), message: app.message };
}

/** Maps any thrown value to `{ status, body }` for a route handler; hides internals. */
export function toHttpError(e: unknown, context: ErrorContext = {}): { status: number; body: { error: { code: AppErrorCode; message: string } } } {
  const m = mapError(e, context);
  return { status: m.status, body: { error: { code: m.code, message: m.message } } };
}

/**
 * The failure result of a server action. A server action's own HTTP response is Next's (200 with
 * the result, or 500 for anything thrown), so actions return this instead of throwing: the page
 * shows `error`, and `status` says which HTTP status the same refusal gets from a route.
 */
export interface ActionError {
  ok: false;
  code: AppErrorCode;
  status: number;
  error: string;
}

export function toActionError(e: unknown, context: ErrorContext = {}): ActionError {
  const m = mapError(e, context);
  return {
    ok: false,
    code: m.code,
    status: m.status,
    error: m.code === 'INTERNAL' ? 'The action failed on the server; the server log has details.' : m.message,
  };
}
