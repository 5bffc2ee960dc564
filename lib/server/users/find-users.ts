/** Every user account, for the admin users page (permission users:manage). No password hashes leave. */
import type { Db } from '../db/client';
import { authorize, type Caller, type Role } from '../auth/roles';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  /** Locked after repeated failed sign-ins, until this time. */
  lockedUntil: Date | null;
  failedSignIns: number;
  createdAt: Date;
}

export async function findUsers(db: Db, { caller }: { caller: Caller | null | undefined }): Promise<UserRow[]> {
  authorize(caller, 'users:manage');
  return db.user.findMany({
    select: { id: true, email: true, name: true, role: true, active: true, lockedUntil: true, failedSignIns: true, createdAt: true },
    orderBy: [{ active: 'desc' }, { email: 'asc' }],
  });
}
