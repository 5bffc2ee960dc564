/**
 * next-auth's endpoints. Before next-auth sees a request, a hostile `callbackUrl` query or
 * callback cookie is replaced (or dropped) and an `?error=` that is not a plain code becomes
 * "Default": next-auth itself would answer 500 to either (authRequestFixes). Where the browser goes afterwards is decided by the `redirect` callback
 * (lib/server/auth/safe-callback-url.ts).
 */
import NextAuth from 'next-auth';
import { cookies } from 'next/headers';
import { NextRequest } from 'next/server';
import { authOptions } from '@/lib/server/sign-in/auth-options';
import { authRequestFixes } from '@/lib/server/auth/safe-callback-url';

type Context = { params: Promise<{ nextauth: string[] }> };

async function handler(req: NextRequest, context: Context) {
  const baseUrl = process.env.NEXTAUTH_URL ?? req.nextUrl.origin;
  const jar = await cookies();
  const fixes = authRequestFixes(
    {
      callbackUrlParam: req.nextUrl.searchParams.get('callbackUrl'),
      errorParam: req.nextUrl.searchParams.get('error'),
      cookies: Object.fromEntries(jar.getAll().map((c) => [c.name, c.value])),
    },
    baseUrl,
  );
  // Route handlers may change cookies; next-auth reads them through the same cookies() store.
  for (const name of fixes.dropCookies) jar.delete(name);
  let request = req;
  if (fixes.callbackUrl !== null || fixes.error !== null) {
    const url = req.nextUrl.clone();
    if (fixes.callbackUrl !== null) url.searchParams.set('callbackUrl', fixes.callbackUrl);
    if (fixes.error !== null) url.searchParams.set('error', fixes.error);
    request = new NextRequest(url, {
      method: req.method,
      headers: req.headers,
      ...(req.body ? { body: req.body, duplex: 'half' } : {}),
    } as ConstructorParameters<typeof NextRequest>[1]);
  }
  return NextAuth(request, context, authOptions);
}

export { handler as GET, handler as POST };
