/**
 * next-auth's endpoints. Before next-auth sees a request, a hostile `callbackUrl` query or
 * callback cookie is replaced (or dropped): next-auth itself would answer 500 to one that is not
 * an http(s) URL. Where the browser goes afterwards is decided by the `redirect` callback
 * (lib/server/auth/safe-callback-url.ts).
 */
import NextAuth from 'next-auth';
import { cookies } from 'next/headers';
import { NextRequest } from 'next/server';
import { authOptions } from '@/lib/server/auth/auth-options';
import { authRequestFixes } from '@/lib/server/auth/safe-callback-url';

type Context = { params: Promise<{ nextauth: string[] }> };

async function handler(req: NextRequest, context: Context) {
  const baseUrl = process.env.NEXTAUTH_URL ?? req.nextUrl.origin;
  const jar = await cookies();
  const fixes = authRequestFixes(
    { callbackUrlParam: req.nextUrl.searchParams.get('callbackUrl'), cookies: Object.fromEntries(jar.getAll().map((c) => [c.name, c.value])) },
    baseUrl,
  );
  // Route handlers may change cookies; next-auth reads them through the same cookies() store.
  for (const name of fixes.dropCookies) jar.delete(name);
  let request = req;
  if (fixes.callbackUrl !== null) {
    const url = req.nextUrl.clone();
    url.searchParams.set('callbackUrl', fixes.callbackUrl);
    request = new NextRequest(url, {
      method: req.method,
      headers: req.headers,
      ...(req.body ? { body: req.body, duplex: 'half' } : {}),
    } as ConstructorParameters<typeof NextRequest>[1]);
  }
  return NextAuth(request, context, authOptions);
}

export { handler as GET, handler as POST };
