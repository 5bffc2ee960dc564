'use client';
/**
 * A form's submit button that shows the form is being handled and cannot submit it twice: while
 * the form's action runs (React `useFormStatus`) it is disabled, `aria-busy`, and reads
 * `pendingLabel` ("Saving…"). A second click that lands before React re-renders (a quick double
 * click) is swallowed too: the first valid click locks the button until the action has been
 * pending and finished, or for LOCK_FALLBACK_MS if it never became pending (nothing submitted).
 *
 * Use it inside a `<form action={serverAction}>`; the server action stays what it was. A second
 * submission that still reaches the server (another tab, a resend) must be harmless there: the
 * actions are idempotent where a repeat could duplicate work (e.g. lib/server/users/create-user.ts).
 */
import { useEffect, useRef, type ButtonHTMLAttributes, type MouseEvent, type ReactNode } from 'react';
import { useFormStatus } from 'react-dom';

const LOCK_FALLBACK_MS = 4000;

export interface PendingButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> {
  /** The label while the action runs, e.g. "Saving…", "Creating…". */
  pendingLabel: string;
  children: ReactNode;
}

export function PendingButton({ pendingLabel, children, disabled, onClick, style, ...rest }: PendingButtonProps) {
  const { pending } = useFormStatus();
  const lock = useRef<{ at: number; seenPending: boolean } | null>(null);

  useEffect(() => {
    if (!lock.current) return;
    if (pending) lock.current.seenPending = true;
    else if (lock.current.seenPending) lock.current = null;
  }, [pending]);

  const click = (e: MouseEvent<HTMLButtonElement>) => {
    const held = lock.current;
    if (pending || (held && (held.seenPending || Date.now() - held.at < LOCK_FALLBACK_MS))) {
      e.preventDefault();
      return;
    }
    // An invalid form is not submitted: no lock, so the user can fix it and press again.
    if (e.currentTarget.form && !e.currentTarget.form.checkValidity()) {
      onClick?.(e);
      return;
    }
    lock.current = { at: Date.now(), seenPending: false };
    onClick?.(e);
  };

  return (
    <button
      {...rest}
      type="submit"
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      data-pending={pending ? 'true' : undefined}
      style={pending ? { ...style, cursor: 'progress', opacity: 0.7 } : style}
      onClick={click}
    >
      {pending ? pendingLabel : children}
    </button>
  );
}
