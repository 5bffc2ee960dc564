/**
 * /admin/users: every account, with forms to create a user, change a role, deactivate or
 * reactivate, and lift a sign-in lock (permission users:manage). Every change is audited with
 * who made it (role changes with the old and new role). Plain forms posting server actions.
 */
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, ROLES } from '@/lib/server/auth/roles';
import { MIN_PASSWORD_LENGTH } from '@/lib/server/auth/password';
import { findUsers } from '@/lib/server/users/find-users';
import { createUserAction, updateUserAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

function RoleOptions() {
  return (
    <>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r.toLowerCase()}
        </option>
      ))}
    </>
  );
}

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'users:manage')) {
    return (
      <>
        <h1>Users</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not manage users.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const users = await findUsers(db(), { caller });
  const now = new Date();
  return (
    <>
      <h1>Users</h1>
      {done ? (
        <p className="notice" role="status" data-testid="users-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="users-error">
          {error}
        </p>
      ) : null}
      <div className="card">
        <table data-testid="users-table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Role</th>
              <th>Status</th>
              <th>Account</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const locked = u.lockedUntil && u.lockedUntil > now;
              return (
                <tr key={u.id} data-testid={`user-${u.email}`}>
                  <td>{u.email}</td>
                  <td>{u.name}</td>
                  <td>
                    <form action={updateUserAction} className="inline-form">
                      <input type="hidden" name="change" value="role" />
                      <input type="hidden" name="userId" value={u.id} />
                      <select name="role" defaultValue={u.role} aria-label={`Role of ${u.email}`}>
                        <RoleOptions />
                      </select>
                      <PendingButton className="secondary" pendingLabel="Saving…">
                        Change role
                      </PendingButton>
                    </form>
                  </td>
                  <td>
                    {u.active ? 'active' : 'deactivated'}
                    {locked ? ` · locked until ${u.lockedUntil!.toISOString().slice(11, 16)} UTC` : ''}
                  </td>
                  <td>
                    <div className="inline-form">
                      <form action={updateUserAction}>
                        <input type="hidden" name="change" value={u.active ? 'deactivate' : 'activate'} />
                        <input type="hidden" name="userId" value={u.id} />
                        {u.active && u.id === caller.userId && (
                          <label className="review-small" data-testid="confirm-self-deactivate">
                            <input type="checkbox" name="confirmSelf" value="yes" required /> Yes, deactivate my own account (I will be signed out)
                          </label>
                        )}
                        <PendingButton className="secondary" aria-label={`${u.active ? 'Deactivate' : 'Reactivate'} ${u.email}`} pendingLabel="Saving…">
                          {u.active ? 'Deactivate' : 'Reactivate'}
                        </PendingButton>
                      </form>
                      {locked ? (
                        <form action={updateUserAction}>
                          <input type="hidden" name="change" value="unlock" />
                          <input type="hidden" name="userId" value={u.id} />
                          <PendingButton className="secondary" aria-label={`Unlock ${u.email}`} pendingLabel="Saving…">
                            Unlock
                          </PendingButton>
                        </form>
                      ) : null}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="card">
        <h2>New user</h2>
        <form action={createUserAction} className="stack" data-testid="create-user">
          <label>
            Email
            <input name="email" type="email" required autoComplete="off" />
          </label>
          <label>
            Name
            <input name="name" required autoComplete="off" />
          </label>
          <label>
            Initial password (at least {MIN_PASSWORD_LENGTH} characters)
            <input name="password" type="password" required minLength={MIN_PASSWORD_LENGTH} autoComplete="new-password" />
          </label>
          <label>
            Role
            <select name="role" defaultValue="RESEARCHER">
              <RoleOptions />
            </select>
          </label>
          <PendingButton pendingLabel="Creating…">Create user</PendingButton>
        </form>
        <p className="muted">
          A role taken away or an account deactivated takes effect on the user&apos;s next request; the pages of a newly granted role open at their next
          sign-in. Every change is in the audit log.
        </p>
      </div>
    </>
  );
}
