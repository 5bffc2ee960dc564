'use client';
/**
 * A search or filter form that navigates by GET (the URL is the state) and shows that it is
 * working (#16 item 7): on submit the query is built from the form's fields as the browser would
 * (`FormData`, the clicked button's name/value included), and the navigation runs in a React
 * transition (`router.push` in `useTransition`), so until the new page has rendered the form is
 * `aria-busy` and its <GetSubmitButton> is disabled and reads `pendingLabel` ("Applying…"); a
 * second submit meanwhile is ignored. Without JavaScript it is the plain GET form it renders.
 */
import { createContext, useContext, useTransition, type ButtonHTMLAttributes, type FormEvent, type FormHTMLAttributes, type ReactNode } from 'react';
import { useRouter } from 'next/navigation';

const Pending = createContext(false);

export interface GetFormProps extends Omit<FormHTMLAttributes<HTMLFormElement>, 'method' | 'action' | 'onSubmit'> {
  /** The page the query is sent to, e.g. "/" or "/admin/audit". */
  action: string;
  children: ReactNode;
}

export function GetForm({ action, children, ...rest }: GetFormProps) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (pending) return;
    const submitter = (e.nativeEvent as SubmitEvent).submitter;
    const data = new FormData(e.currentTarget, submitter instanceof HTMLElement ? submitter : null);
    const query = new URLSearchParams();
    for (const [k, v] of data) if (typeof v === 'string') query.append(k, v);
    const qs = query.toString();
    startTransition(() => router.push(qs ? `${action}?${qs}` : action));
  };
  return (
    <Pending.Provider value={pending}>
      <form {...rest} method="get" action={action} onSubmit={submit} aria-busy={pending || undefined} data-pending={pending ? 'true' : undefined}>
        {children}
      </form>
    </Pending.Provider>
  );
}

export interface GetSubmitButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> {
  /** The label while the new page loads, e.g. "Applying…", "Searching…". */
  pendingLabel: string;
  children: ReactNode;
}

/** The submit button of a <GetForm>: disabled, `aria-busy` and `pendingLabel` while the new page loads. */
export function GetSubmitButton({ pendingLabel, children, disabled, style, ...rest }: GetSubmitButtonProps) {
  const pending = useContext(Pending);
  return (
    <button
      {...rest}
      type="submit"
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      style={pending ? { ...style, cursor: 'progress', opacity: 0.7 } : style}
    >
      {pending ? pendingLabel : children}
    </button>
  );
}
