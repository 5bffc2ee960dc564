import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { setupPending } from '@/lib/server/users/ensure-first-admin';
import { safeCallbackPath } from '@/lib/server/auth/safe-callback-url';
import { SIGN_IN_UNAVAILABLE } from '@/lib/server/sign-in/auth-options';
import { LoginForm } from './login-form';
import { signInErrorMessage } from './messages';

export const dynamic = 'force-dynamic';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string | string[]; error?: string | string[] }> }) {
  const params = await searchParams;
  const error = first(params.error);
  // The sign-in page must load while the database is down, to say so (?error=Unavailable).
  let pending = false;
  let unreachable = false;
  try {
    pending = await setupPending(db());
  } catch (err) {
    unreachable = true;
    console.error(`[login] could not check for a pending setup: ${err instanceof Error ? err.message : String(err)}`);
  }
  return (
    <div className="login-wrap">
      <div className="card">
        <h1 style={{ marginTop: 0 }}>iSeg QA</h1>
        <p className="muted">Contour QA and outcomes analytics</p>
        {pending && (
          <p className="notice">
            No administrator yet. Use the one-time setup token printed by <code>npm start</code> on the <Link href="/setup">setup page</Link>.
          </p>
        )}
        {/* Only a path on this app: an open redirect would let a link send a user elsewhere after sign-in. */}
        <LoginForm
          callbackUrl={safeCallbackPath(first(params.callbackUrl), process.env.NEXTAUTH_URL)}
          initialError={error ? signInErrorMessage(error) : unreachable ? signInErrorMessage(SIGN_IN_UNAVAILABLE) : null}
        />
      </div>
    </div>
  );
}
