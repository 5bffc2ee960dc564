/**
 * next-auth (v4) session settings: JWT sessions carrying the user id, role and session version.
 * Sessions last 8 hours (a clinical working day). These are what reading a session needs
 * (`getServerSession` in get-caller.ts); the sign-in and sign-out wiring (the credentials
 * provider, the sign-out event, both audited) adds to them in lib/server/sign-in/auth-options.ts,
 * so that this folder (the role table and who the caller is) never imports the audit log.
 *
 * - Every token read (getServerSession, /api/auth/session) checks the token's session version
 *   against the user's: sign-out, deactivation and a role change bump it, so a token captured
 *   before then is refused (find-session-caller.ts).
 * - After sign-in the browser goes only to a path on this app (safe-callback-url.ts).
 */
import type { NextAuthOptions } from 'next-auth';
import { db } from '../db/client';
import { findSessionCaller } from './find-session-caller';
import { isRole } from './roles';
import { safeCallbackUrl } from './safe-callback-url';

const SESSION_MAX_AGE_S = 8 * 60 * 60;

const SESSION_REVOKED = 'SessionRevoked';

export const sessionOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_S },
  jwt: { maxAge: SESSION_MAX_AGE_S },
  // next-auth's session cookie is httpOnly and sameSite=lax; `Secure` (and the __Secure- prefix)
  // whenever the app is served over https, so the cookie never travels in clear text.
  useSecureCookies: (process.env.NEXTAUTH_URL ?? '').startsWith('https://'),
  // Errors land on the login page, which words known codes and never echoes the rest.
  pages: { signIn: '/login', error: '/login' },
  // Reading a session needs no provider; lib/server/sign-in/auth-options.ts adds the credentials one.
  providers: [],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = (user as { role?: string }).role;
        token.sv = (user as { sessionVersion?: number }).sessionVersion;
        return token;
      }
      let current;
      try {
        current = await findSessionCaller(db(), { claims: { userId: token.uid, sessionVersion: token.sv } });
      } catch {
        // Database unreachable: let the request go on to getCaller, whose own read fails it.
        return token;
      }
      // Thrown, next-auth answers with no session and clears the cookie.
      if (!current) throw new Error(SESSION_REVOKED);
      return token;
    },
    async session({ session, token }) {
      if (session.user) {
        (session.user as Record<string, unknown>).id = token.uid;
        (session.user as Record<string, unknown>).role = isRole(token.role) ? token.role : undefined;
        (session.user as Record<string, unknown>).sv = token.sv;
      }
      return session;
    },
    redirect({ url, baseUrl }) {
      return safeCallbackUrl(url, baseUrl);
    },
  },
  logger: {
    error(code, metadata) {
      // A revoked token is expected (signed out elsewhere, role changed): not a server error.
      const message = (metadata as { message?: unknown } | undefined)?.message ?? (metadata as { error?: { message?: unknown } } | undefined)?.error?.message;
      if (code === 'JWT_SESSION_ERROR' && message === SESSION_REVOKED) return;
      console.error(`[next-auth][error][${code}]`, metadata);
    },
    warn(code) {
      console.warn(`[next-auth][warn][${code}]`);
    },
    debug() {},
  },
};
