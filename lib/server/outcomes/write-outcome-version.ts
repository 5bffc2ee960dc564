/**
 * Writes a set of patients' outcomes as one version: under a transaction-level advisory lock (so
 * two imports or restores never interleave), reads each patient's current outcome, writes only
 * the rows whose values differ, and records the version (who, when, file, counts) with every
 * changed row's previous and new values, plus an audit event, all in one transaction.
 *
 * Used by import-outcomes.ts (a CSV) and restore-outcome-version.ts (an earlier state). The
 * OutcomeVersion tables are insert-only for the app's database role (docs/security.md).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Db, DbOrTx } from '../db/client';
import type { Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';

/** One patient's outcome as stored (the columns a version may change). */
export interface OutcomeValues {
  localFailure: boolean;
  localFailureDays: number | null;
  died: boolean;
  deathDays: number | null;
  lastFollowUpDays: number;
  clinical: Record<string, number | string | null>;
  source: string | null;
}

export interface OutcomeTarget {
  patientId: string;
  /** The outcome the patient should have; null removes it (a restore to before it existed). */
  values: OutcomeValues | null;
}

export interface OutcomeVersionSummary {
  id: number;
  rowsAdded: number;
  rowsChanged: number;
  rowsUnchanged: number;
  rowsRemoved: number;
}

const LOCK_KEY = 7_324_118_020; // constant: "iseg-qa outcome versions"

function outcomeValuesOf(row: {
  localFailure: boolean;
  localFailureDays: number | null;
  died: boolean;
  deathDays: number | null;
  lastFollowUpDays: number;
  clinical: unknown;
  source: string | null;
}): OutcomeValues {
  return {
    localFailure: row.localFailure,
    localFailureDays: row.localFailureDays,
    died: row.died,
    deathDays: row.deathDays,
    lastFollowUpDays: row.lastFollowUpDays,
    clinical: (row.clinical ?? {}) as OutcomeValues['clinical'],
    source: row.source,
  };
}

/** Same clinical content? (`source`, the file a row came from, is bookkeeping, not a value.) */
function sameOutcome(a: OutcomeValues | null, b: OutcomeValues | null): boolean {
  if (a === null || b === null) return a === b;
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return (
    a.localFailure === b.localFailure &&
    a.localFailureDays === b.localFailureDays &&
    a.died === b.died &&
    a.deathDays === b.deathDays &&
    a.lastFollowUpDays === b.lastFollowUpDays &&
    isDeepStrictEqual(sorted(a.clinical), sorted(b.clinical))
  );
}

export async function writeOutcomeVersion(
  db: Db,
  {
    caller,
    kind,
    fileName,
    sha256,
    identifierColumn,
    restoredFromId,
    targets,
    audit,
  }: {
    caller: Caller;
    kind: 'import' | 'restore';
    fileName?: string | null;
    sha256?: string | null;
    identifierColumn?: string | null;
    restoredFromId?: number | null;
    /** Called after the lock is taken, so a restore reads the history no one else is writing. */
    targets: (tx: DbOrTx) => Promise<OutcomeTarget[]>;
    /** The audit event's action and extra details (the version's id and counts are added). */
    audit: { action: string; target: string; details?: Record<string, unknown> };
  },
): Promise<OutcomeVersionSummary> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_KEY}::bigint)`;
      const wanted = await targets(tx);
      const current = new Map(
        (await tx.outcome.findMany({ where: { patientId: { in: wanted.map((t) => t.patientId) } } })).map((o) => [o.patientId, outcomeValuesOf(o)]),
      );
      const changes: { patientId: string; before: OutcomeValues | null; after: OutcomeValues | null }[] = [];
      let rowsAdded = 0;
      let rowsChanged = 0;
      let rowsUnchanged = 0;
      let rowsRemoved = 0;
      for (const t of wanted) {
        const before = current.get(t.patientId) ?? null;
        if (sameOutcome(before, t.values)) {
          rowsUnchanged++;
          continue;
        }
        if (before === null) rowsAdded++;
        else if (t.values === null) rowsRemoved++;
        else rowsChanged++;
        changes.push({ patientId: t.patientId, before, after: t.values });
      }
      const version = await tx.outcomeVersion.create({
        data: {
          kind,
          userId: caller.userId,
          userEmail: caller.email,
          role: caller.role,
          fileName: fileName ?? null,
          sha256: sha256 ?? null,
          identifierColumn: identifierColumn ?? null,
          rowsAdded,
          rowsChanged,
          rowsUnchanged,
          rowsRemoved,
          restoredFromId: restoredFromId ?? null,
        },
      });
      for (const c of changes) {
        if (c.after === null) await tx.outcome.delete({ where: { patientId: c.patientId } });
        else if (c.before === null) await tx.outcome.create({ data: { patientId: c.patientId, ...c.after } });
        else await tx.outcome.update({ where: { patientId: c.patientId }, data: c.after });
      }
      const json = (v: OutcomeValues | null) => (v === null ? undefined : (v as object));
      for (let i = 0; i < changes.length; i += 1000)
        await tx.outcomeVersionChange.createMany({
          data: changes.slice(i, i + 1000).map((c) => ({ versionId: version.id, patientId: c.patientId, before: json(c.before), after: json(c.after) })),
        });
      const summary = { id: version.id, rowsAdded, rowsChanged, rowsUnchanged, rowsRemoved };
      await recordAuditEvent(tx, {
        action: audit.action,
        caller,
        target: audit.target,
        details: { ...(audit.details ?? {}), version: version.id, rowsAdded, rowsChanged, rowsUnchanged, rowsRemoved },
      });
      return summary;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
