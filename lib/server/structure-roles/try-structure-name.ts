/**
 * The "try a name" box of Admin → Structure roles (permission structure-roles:manage): the role
 * a structure of that name would get at the next import (current site rules, then the built-in
 * rules), with the rule that decided.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (empty or over 200 characters).
 */
import { assignStructureRole, type StructureRoleResult } from '@/lib/core/structures';
import { authorize, type Caller } from '../auth/roles';
import type { DbOrTx } from '../db/client';
import { AppError } from '../errors';
import { loadStructureRules } from './load-structure-rules';

export async function tryStructureName(db: DbOrTx, { caller, name }: { caller: Caller | null | undefined; name: unknown }): Promise<StructureRoleResult> {
  authorize(caller, 'structure-roles:manage');
  const n = typeof name === 'string' ? name.trim() : '';
  if (!n) throw new AppError('INVALID_INPUT', 'Type a structure name to try.');
  if (n.length > 200) throw new AppError('INVALID_INPUT', `The name is ${n.length} characters; ROI names are at most 64 (DICOM LO), so at most 200 are tried.`);
  return assignStructureRole(n, await loadStructureRules(db));
}
