/**
 * Application errors carry a code; HTTP status mapping lives here and nowhere else
 * (docs/conventions.md, item 9).
 */
export type AppErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const HTTP_STATUS: Record<AppErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
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

/** Maps any thrown value to `{ status, body }` for a route handler; hides internals. */
export function toHttpError(e: unknown): { status: number; body: { error: { code: AppErrorCode; message: string } } } {
  if (e instanceof AppError) {
    return { status: httpStatusFor(e.code), body: { error: { code: e.code, message: e.message } } };
  }
  console.error(e);
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; the server log has details.' } } };
}
