'use client';

import { signIn } from 'next-auth/react';
import { useState } from 'react';
import { signInErrorMessage } from './messages';

/** `callbackUrl` is already a safe same-origin path (app/login/page.tsx). */
export function LoginForm({ callbackUrl, initialError }: { callbackUrl: string; initialError: string | null }) {
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(e.currentTarget);
    const res = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      callbackUrl,
      redirect: false,
    });
    setBusy(false);
    if (!res || res.error) {
      setError(signInErrorMessage(res?.error));
      return;
    }
    window.location.assign(callbackUrl);
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Sign in">
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p className="muted">After 5 failed attempts an account is locked for 15 minutes; an administrator can unlock it sooner.</p>
    </form>
  );
}
