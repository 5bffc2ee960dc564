/**
 * The one wrapper for every route handler under app/api (next-auth's own excepted, which checks
 * its CSRF token itself). In order, before the handler sees the request:
 * 1. state-changing methods: the same-origin (CSRF) check (check-same-origin.ts) → 403;
 * 2. a declared Content-Length over the route's body cap → 413, before anything is read;
 * 3. the caller (getCaller: session + user re-read from the database) and the permission
 *    (authorize) → 401 / 403; nothing of the body has been read yet;
 * 4. the handler, with the caller and the route's params;
 * and every error thrown on the way is mapped to HTTP by toHttpError (lib/server/errors.ts).
 * tests/integration/security/route-wrapper.test.ts fails when a route file exports a handler that
 * is not wrapped, or whose permission differs from ROUTES (lib/server/auth/route-access.ts).
 */
import { getCaller } from '../auth/get-caller';
import { authorize, type Caller, type Permission } from '../auth/roles';
import { AppError, toHttpError } from '../errors';
import { checkSameOrigin } from './check-same-origin';

/** Body cap of a route that takes no upload: enough for any form or JSON it could get. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Marks a handler built by withCaller (read by the route enumeration test). */
export const WITH_CALLER = Symbol.for('iseg.withCaller');

/** As in ROUTES (lib/server/auth/route-access.ts): a permission, any signed-in caller, or no session at all. */
export type RouteAccess = Permission | 'signed-in' | 'public';

export interface WithCallerOptions {
  /** Largest Content-Length accepted, in bytes (a function: read when a request comes). Default 1 MiB. */
  maxBodyBytes?: number | (() => number);
}

type Params = Record<string, string | string[] | undefined>;

export interface HandlerContext<P, C> {
  caller: C;
  params: P;
}

/** What Next.js calls: the request and a context whose params are a promise. */
export type RouteHandler = ((req: Request, context?: { params: Promise<Params> }) => Promise<Response>) & {
  [WITH_CALLER]: { access: RouteAccess };
};

export function withCaller<P extends Params = Params>(
  access: Permission | 'signed-in',
  handler: (req: Request, ctx: HandlerContext<P, Caller>) => Response | Promise<Response>,
  options?: WithCallerOptions,
): RouteHandler;
export function withCaller<P extends Params = Params>(
  access: 'public',
  handler: (req: Request, ctx: HandlerContext<P, null>) => Response | Promise<Response>,
  options?: WithCallerOptions,
): RouteHandler;
export function withCaller<P extends Params = Params>(
  access: RouteAccess,
  handler: (req: Request, ctx: HandlerContext<P, never>) => Response | Promise<Response>,
  options: WithCallerOptions = {},
): RouteHandler {
  const wrapped = async (req: Request, context: { params: Promise<Params> } | undefined): Promise<Response> => {
    try {
      checkSameOrigin(req);
      const maxBody = typeof options.maxBodyBytes === 'function' ? options.maxBodyBytes() : (options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      const declared = Number(req.headers.get('content-length') ?? '0');
      if (declared > maxBody)
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `The request body (${formatBytes(declared)}) is over this route's limit of ${formatBytes(maxBody)}; nothing of it was read.`,
        );
      const caller = access === 'public' ? null : access === 'signed-in' ? signedIn(await getCaller()) : authorize(await getCaller(), access);
      const params = ((await context?.params) ?? {}) as P;
      return await handler(req, { caller: caller as never, params });
    } catch (e) {
      const { status, body } = toHttpError(e);
      return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
    }
  };
  return Object.assign(wrapped, { [WITH_CALLER]: { access } }) as RouteHandler;
}

function signedIn(caller: Caller | null): Caller {
  if (!caller) throw new AppError('UNAUTHORIZED', 'Sign in first.');
  return caller;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB` : `${n} bytes`;
}
