/**
 * First line of defence, before any page or route code runs:
 * - no session: only the routes marked public in lib/server/auth/route-access.ts (login, setup,
 *   health, next-auth's own); pages redirect to /login, APIs answer 401;
 * - a session whose role lacks the route's permission (ROUTES): 403, for pages, APIs and the
 *   server actions posted to a page alike.
 * Authorisation proper happens in lib/server, per operation, with the role re-read from the
 * database; this gate reads the role in the signed session token, so a role taken away is enforced
 * at once by the data layer and a role granted opens its pages at the next sign-in.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { matchRoute, publicRoutePatterns } from '@/lib/server/auth/route-access';
import { can, isRole } from '@/lib/server/auth/roles';
import { forbiddenPageHtml } from '@/lib/server/auth/forbidden-page';

const PUBLIC = publicRoutePatterns();

export async function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl;
  if (PUBLIC.some((re) => re.test(pathname))) return NextResponse.next();
  const token = await getToken({ req, secret: process.env.NEXTAUTH_SECRET });
  if (token) {
    const entry = matchRoute(pathname);
    const access = entry?.access;
    if (!access || access === 'public' || access === 'signed-in') return NextResponse.next();
    if (isRole(token.role) && can(token.role, access)) return NextResponse.next();
    // 'outcomes:view' → "view outcomes", as the pages word it
    const [noun, verb] = access.split(':');
    const message = `The ${isRole(token.role) ? token.role.toLowerCase() : 'unknown'} role may not ${verb.replace(/-/g, ' ')} ${noun}.`;
    if (pathname.startsWith('/api/') || req.headers.has('next-action')) {
      return NextResponse.json({ error: { code: 'FORBIDDEN', message } }, { status: 403 });
    }
    const html = forbiddenPageHtml({ role: token.role, message, who: typeof token.name === 'string' ? token.name : null });
    return new NextResponse(html, { status: 403, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
  }
  if (pathname.startsWith('/api/')) {
    return NextResponse.json({ error: { code: 'UNAUTHORIZED', message: 'Sign in first.' } }, { status: 401 });
  }
  const login = new URL('/login', req.url);
  if (pathname !== '/') login.searchParams.set('callbackUrl', pathname + req.nextUrl.search);
  return NextResponse.redirect(login);
}

export const config = {
  // Not POST /api/studies, the study upload: Next buffers the body of every request the proxy
  // sees (up to experimental.proxyClientMaxBodySize) before the proxy can answer, so an upload
  // through here would sit in memory, even an anonymous one. That route checks origin, size,
  // session and permission itself (withCaller) before it reads a byte, and streams to disk.
  // tests/unit/security/proxy-matcher.test.ts compiles this with Next's own matcher code.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/studies$).*)'],
};
