/**
 * next-auth (v4) configuration: credentials sign-in against our users table, JWT sessions
 * carrying the user id, role and session version. Sessions last 8 hours (a clinical working day).
 *
 * - Every refused sign-in (unknown account, wrong password, locked, inactive, throttled address)
 *   answers the same `CredentialsSignin`; the reason is only in the audit log.
 * - A failure to check at all (database down) answers `Unavailable`: never the error's text, which
 *   names the database host and port.
 * - Every token read (getServerSession, /api/auth/session) checks the token's session version
 *   against the user's: sign-out, deactivation and a role change bump it, so a token captured
 *   before then is refused (lib/server/auth/find-session-caller.ts).
 * - After sign-in the browser goes only to a path on this app (safe-callback-url.ts).
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { db } from '../db/client';
import { authenticateUser } from './authenticate-user';
import { endUserSessions } from './end-user-sessions';
import { clientAddress } from './client-address';
import { findSessionCaller } from './find-session-caller';
import { isRole } from './roles';
import { safeCallbackUrl } from './safe-callback-url';

export const SESSION_MAX_AGE_S = 8 * 60 * 60;

/** `?error=` code for "sign-in could not be checked" (app/login/messages.ts words it). */
export const SIGN_IN_UNAVAILABLE = 'Unavailable';
const SESSION_REVOKED = 'SessionRevoked';

function header(req: { headers?: Record<string, unknown> } | undefined, name: string): string | undefined {
  const v = req?.headers?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_S },
  jwt: { maxAge: SESSION_MAX_AGE_S },
  // next-auth's session cookie is httpOnly and sameSite=lax; `Secure` (and the __Secure- prefix)
  // whenever the app is served over https, so the cookie never travels in clear text.
  useSecureCookies: (process.env.NEXTAUTH_URL ?? '').startsWith('https://'),
  // Errors land on the login page, which words known codes and never echoes the rest.
  pages: { signIn: '/login', error: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        let result;
        try {
          result = await authenticateUser(db(), {
            email: credentials.email,
            password: credentials.password,
            ip: clientAddress((name) => header(req, name)),
            userAgent: header(req, 'user-agent'),
          });
        } catch (err) {
          // next-auth would put the error's message in the redirect URL (?error=…): log it here,
          // hand the browser a code.
          console.error(`[auth] sign-in could not be checked: ${describe(err)}`);
          throw new Error(SIGN_IN_UNAVAILABLE, { cause: err });
        }
        // One answer for every refusal: which accounts exist, are locked or inactive stays hidden.
        if (!result.ok) return null;
        const c = result.caller;
        return { id: c.userId, email: c.email, name: c.name, role: c.role, sessionVersion: result.sessionVersion };
      },
    }),
  ],
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
  events: {
    async signOut({ token }) {
      await endUserSessions(db(), { claims: { userId: token?.uid, sessionVersion: token?.sv } });
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
