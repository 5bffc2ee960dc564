import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { setupPending } from '@/lib/server/users/ensure-first-admin';
import { formText } from '@/lib/server/http/form-text';
import { runSetup } from './run-setup';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

async function setupAction(formData: FormData) {
  'use server';
  const error = await runSetup(db(), {
    token: formText(formData, 'token') ?? '',
    email: formText(formData, 'email') ?? '',
    name: formText(formData, 'name') ?? '',
    password: formText(formData, 'password') ?? '',
  });
  redirect(error ? `/setup?error=${encodeURIComponent(error)}` : '/login');
}

export default async function SetupPage({ searchParams }: { searchParams: Promise<{ error?: string; token?: string }> }) {
  const { error, token } = await searchParams;
  if (!(await setupPending(db()))) redirect('/login');
  return (
    <div className="login-wrap">
      <div className="card">
        <h1 style={{ marginTop: 0 }}>Create the first administrator</h1>
        <p className="muted">
          Paste the one-time setup token that <code>npm start</code> printed.
        </p>
        <form className="stack" action={setupAction}>
          <label>
            Setup token
            <input name="token" required defaultValue={token ?? ''} autoComplete="off" />
          </label>
          <label>
            Email
            <input name="email" type="email" required />
          </label>
          <label>
            Name
            <input name="name" required />
          </label>
          <label>
            Password (at least 10 characters)
            <input name="password" type="password" minLength={10} required autoComplete="new-password" />
          </label>
          <PendingButton pendingLabel="Creating…">Create administrator</PendingButton>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
        </form>
      </div>
    </div>
  );
}
