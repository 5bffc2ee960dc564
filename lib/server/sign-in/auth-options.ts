/**
 * next-auth (v4) configuration for the `/api/auth/[...nextauth]` route: the session settings
 * (lib/server/auth/session-options.ts) plus credentials sign-in against our users table and the
 * sign-out event, both of which write the audit log.
 *
 * - Every refused sign-in (unknown account, wrong password, locked, inactive, throttled address)
 *   answers the same `CredentialsSignin`; the reason is only in the audit log.
 * - A failure to check at all (database down) answers `Unavailable`: never the error's text, which
 *   names the database host and port.
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { db } from '../db/client';
import { clientAddress } from '../auth/client-address';
import { sessionOptions } from '../auth/session-options';
import { authenticateUser } from './authenticate-user';
import { endUserSessions } from './end-user-sessions';

/** `?error=` code for "sign-in could not be checked" (app/login/messages.ts words it). */
export const SIGN_IN_UNAVAILABLE = 'Unavailable';

function header(req: { headers?: Record<string, unknown> } | undefined, name: string): string | undefined {
  const v = req?.headers?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export const authOptions: NextAuthOptions = {
  ...sessionOptions,
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
  events: {
    async signOut({ token }) {
      await endUserSessions(db(), { claims: { userId: token?.uid, sessionVersion: token?.sv } });
    },
  },
};
