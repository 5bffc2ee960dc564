/**
 * next-auth (v4) configuration: credentials sign-in against our users table, JWT sessions
 * carrying the user id and role. Sessions last 8 hours (a clinical working day).
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { db } from '../db/client';
import { authenticateUser } from '../users/authenticate-user';
import { isRole } from './roles';

export const SESSION_MAX_AGE_S = 8 * 60 * 60;

function header(req: { headers?: Record<string, unknown> } | undefined, name: string): string | undefined {
  const v = req?.headers?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
}

export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_S },
  jwt: { maxAge: SESSION_MAX_AGE_S },
  // next-auth's session cookie is httpOnly and sameSite=lax; `Secure` (and the __Secure- prefix)
  // whenever the app is served over https, so the cookie never travels in clear text.
  useSecureCookies: (process.env.NEXTAUTH_URL ?? '').startsWith('https://'),
  pages: { signIn: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        const ip = header(req, 'x-forwarded-for')?.split(',')[0]?.trim() ?? header(req, 'x-real-ip');
        const result = await authenticateUser(db(), {
          email: credentials.email,
          password: credentials.password,
          ip,
          userAgent: header(req, 'user-agent'),
        });
        if (!result.ok) {
          // next-auth shows this code on the login page as ?error=…
          if (result.reason === 'LOCKED') throw new Error('LOCKED');
          return null;
        }
        const c = result.caller;
        return { id: c.userId, email: c.email, name: c.name, role: c.role };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = (user as { role?: string }).role;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) {
        (session.user as Record<string, unknown>).id = token.uid;
        (session.user as Record<string, unknown>).role = isRole(token.role) ? token.role : undefined;
      }
      return session;
    },
  },
};
