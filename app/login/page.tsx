import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { setupPending } from '@/lib/server/users/ensure-first-admin';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

function safeCallback(url: string | undefined): string {
  // Only same-site paths: an open redirect would let a link send a user elsewhere after sign-in.
  return url && url.startsWith('/') && !url.startsWith('//') ? url : '/';
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const { callbackUrl } = await searchParams;
  const pending = await setupPending(db());
  return (
    <div className="login-wrap">
      <div className="card" style={{ minWidth: 360 }}>
        <h1 style={{ marginTop: 0 }}>iSeg QA</h1>
        <p className="muted">Contour QA and outcomes analytics</p>
        {pending && (
          <p className="notice">
            No administrator yet. Use the one-time setup token printed by <code>npm start</code> on the{' '}
            <Link href="/setup">setup page</Link>.
          </p>
        )}
        <LoginForm callbackUrl={safeCallback(callbackUrl)} />
      </div>
    </div>
  );
}
