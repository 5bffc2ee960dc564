'use server';
/**
 * Server actions of /admin/users: create a user, change a role, deactivate / reactivate, unlock.
 * The data layer authorises (users:manage) and audits; the page shows the outcome from the URL.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { AppError, toActionError } from '@/lib/server/errors';
import { createUser } from '@/lib/server/users/create-user';
import { updateUser } from '@/lib/server/users/update-user';
import { formText } from '@/lib/server/http/form-text';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/users?${kind}=${encodeURIComponent(message)}`);
}

async function attempt(run: () => Promise<string>): Promise<never> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}

export async function createUserAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const caller = await getCaller();
    if (!caller) throw new AppError('UNAUTHORIZED', 'Sign in first.');
    const user = await createUser(db(), {
      caller,
      input: {
        email: formText(form, 'email') ?? '',
        name: formText(form, 'name') ?? '',
        password: formText(form, 'password') ?? '',
        role: (formText(form, 'role') ?? '') as never,
      },
    });
    return `Created ${user.email} (${user.role.toLowerCase()}).`;
  });
}

export async function updateUserAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const r = await updateUser(db(), {
      caller: await getCaller(),
      input: {
        change: formText(form, 'change') ?? '',
        userId: formText(form, 'userId') ?? '',
        role: formText(form, 'role') || undefined,
        ...(formText(form, 'confirmSelf') === 'yes' ? { confirmSelf: true } : {}),
      },
    });
    return `${r.email}: ${r.summary}.`;
  });
}
