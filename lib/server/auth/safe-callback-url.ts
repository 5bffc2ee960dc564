/**
 * Where to send the browser after sign-in: only a path on this app, never another site.
 *
 * The value is parsed the way a browser parses it (WHATWG URL: backslashes count as slashes,
 * tabs and newlines are dropped, `//host` is another host) against the app's own origin, and is
 * kept only when the result is still on that origin. What comes back is the parsed, normalised
 * path + query + fragment, starting with exactly one "/", so the browser cannot read it as
 * another host when it follows it. Anything else (foreign or protocol-relative URLs,
 * `javascript:`, `http://127.0.0.1@evil`, garbage) gives "/". Pure: no I/O, never throws.
 */

const FALLBACK = '/';
/** Longer callback values are refused rather than parsed. */
const MAX_LENGTH = 2048;
/** Any origin will do for parsing a relative value; it only has to be one we recognise. */
const PARSE_BASE = 'http://iseg-qa.invalid';

/**
 * @param raw the callbackUrl as received (query string, form body, cookie)
 * @param baseUrl the app's own origin (next-auth's `baseUrl`); a same-origin absolute URL is
 *   accepted and reduced to its path. Without it only relative values can pass.
 * @returns a path such as "/studies/abc?phase=2", or "/"
 */
export function safeCallbackPath(raw: unknown, baseUrl?: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return FALLBACK;
  let origin: string;
  try {
    origin = new URL(baseUrl ?? PARSE_BASE).origin;
  } catch {
    origin = PARSE_BASE;
  }
  if (origin === 'null') return FALLBACK;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return FALLBACK;
  }
  if (url.origin !== origin || url.username || url.password) return FALLBACK;
  const path = url.pathname + url.search + url.hash;
  // "/.//evil.example" parses to the path "//evil.example", which a browser would then follow
  // to another host: such paths are refused, as is anything not starting with one "/".
  if (!/^\/(?![/\\])/.test(path)) return FALLBACK;
  // The serialiser percent-encodes controls in path and query; the fragment keeps some. Refuse
  // whatever is left rather than hand a browser something it may re-interpret.
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return FALLBACK;
  return path;
}

/**
 * The same check for next-auth, which needs an absolute URL: `baseUrl` + the safe path. For
 * next-auth's `redirect` callback and for callback URLs handed to it (app/api/auth).
 */
export function safeCallbackUrl(raw: unknown, baseUrl: string): string {
  let origin: string;
  try {
    origin = new URL(baseUrl).origin;
  } catch {
    return '/';
  }
  return origin === 'null' ? '/' : `${origin}${safeCallbackPath(raw, origin)}`;
}

/** next-auth's cookies that hold a callback URL (plain and `__Secure-` over https). */
export const CALLBACK_URL_COOKIES = ['next-auth.callback-url', '__Secure-next-auth.callback-url'] as const;

/**
 * What the auth route must change in a request before next-auth sees it:
 * - next-auth answers 500 ("configuration problem") to a `callbackUrl` query or cookie that is not
 *   an http(s) URL, before any callback of ours runs: the query value is replaced by a safe one,
 *   the cookie dropped;
 * - next-auth copies `?error=` unencoded into a redirect (`/login?error=…`): a value with a
 *   newline would make the Location header invalid (500), so anything but a plain code becomes
 *   "Default".
 * Returns the query values to use instead (null: leave as is) and the cookies to drop.
 */
export function authRequestFixes(
  {
    callbackUrlParam,
    errorParam = null,
    cookies,
  }: { callbackUrlParam: string | null; errorParam?: string | null; cookies: Record<string, string | undefined> },
  baseUrl: string,
): { callbackUrl: string | null; error: string | null; dropCookies: string[] } {
  const ok = (v: string) => safeCallbackUrl(v, baseUrl) === v;
  const callbackUrl = callbackUrlParam !== null && !ok(callbackUrlParam) ? safeCallbackUrl(callbackUrlParam, baseUrl) : null;
  const error = errorParam !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(errorParam) ? 'Default' : null;
  const dropCookies = CALLBACK_URL_COOKIES.filter((name) => {
    const v = cookies[name];
    return v !== undefined && v !== '' && !ok(v);
  });
  return { callbackUrl, error, dropCookies };
}
