/**
 * First line of defence: no session, no page, except the routes marked public in
 * lib/server/auth/route-access.ts (login, setup, health, next-auth's own). Authorisation
 * proper happens in lib/server, per operation.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { publicRoutePatterns } from '@/lib/server/auth/route-access';

const PUBLIC = publicRoutePatterns();

export async function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl;
  if (PUBLIC.some((re) => re.test(pathname))) return NextResponse.next();
  const token = await getToken({ req, secret: process.env.NEXTAUTH_SECRET });
  if (token) return NextResponse.next();
  if (pathname.startsWith('/api/')) {
    return NextResponse.json({ error: { code: 'UNAUTHORIZED', message: 'Sign in first.' } }, { status: 401 });
  }
  const login = new URL('/login', req.url);
  if (pathname !== '/') login.searchParams.set('callbackUrl', pathname + req.nextUrl.search);
  return NextResponse.redirect(login);
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
