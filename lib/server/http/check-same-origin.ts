/**
 * CSRF check for state-changing requests (POST, PUT, PATCH, DELETE): the request must come from a
 * page of this app. The same rule Next.js applies to server actions: the host of the `Origin`
 * header (or, when a browser leaves it out, of the `Referer`) must be the app's own host: the
 * host of NEXTAUTH_URL, or the `X-Forwarded-Host` / `Host` the request was addressed to.
 * SameSite=Lax cookies stop cross-site requests but not same-site ones (another port on the same
 * host, a sibling subdomain): this check stops those.
 * A request with neither header is refused when it carries a cookie (a browser would have sent
 * one of them; it could be a forged form post). Without a cookie it has no session to abuse and
 * goes on to the session check (401).
 */
import { AppError } from '../errors';
import { env } from '../env';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

function hostOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** The hosts this app answers as: NEXTAUTH_URL's, and the X-Forwarded-Host or Host of the request. */
function appHosts(headers: Headers): Set<string> {
  const hosts = new Set<string>();
  const configured = env().NEXTAUTH_URL;
  if (configured) {
    const h = hostOf(configured);
    if (h) hosts.add(h);
  }
  const forwarded = headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  if (forwarded) hosts.add(forwarded.toLowerCase());
  const host = headers.get('host');
  if (host) hosts.add(host.trim().toLowerCase());
  return hosts;
}

/**
 * @throws AppError FORBIDDEN when a state-changing request comes from another origin, or carries
 * a cookie but says from nowhere.
 */
export function checkSameOrigin(req: Request): void {
  if (!isStateChanging(req.method)) return;
  const origin = req.headers.get('origin');
  const referer = req.headers.get('referer');
  const claimed = origin ?? referer;
  if (claimed === null) {
    if (req.headers.has('cookie'))
      throw new AppError(
        'FORBIDDEN',
        `Cross-site request refused: a ${req.method} with a session cookie must carry an Origin (or Referer) header naming this site. Use the app's own pages, or send Origin: <the app's URL>.`,
      );
    return;
  }
  const host = hostOf(claimed);
  const shown = claimed.slice(0, 100);
  if (host === null || !appHosts(req.headers).has(host))
    throw new AppError(
      'FORBIDDEN',
      `Cross-site request refused: ${origin !== null ? 'Origin' : 'Referer'} "${shown}" is not this site. ${req.method} requests are accepted only from the app's own pages.`,
    );
}
