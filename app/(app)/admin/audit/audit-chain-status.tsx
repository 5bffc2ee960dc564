/**
 * The audit log's integrity on /admin/audit: the hash chain verified over every event
 * (lib/server/audit/verify-audit-chain.ts), with the first broken event named, and the chain's
 * head (last id and hash) to note down: rows removed from the end are found only by comparing
 * a head noted earlier. Rendered under Suspense so a long log does not hold the search up.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { verifyAuditChain } from '@/lib/server/audit/verify-audit-chain';

export async function AuditChainStatus({ caller }: { caller: Caller }) {
  let report;
  try {
    report = await verifyAuditChain(db(), { caller });
  } catch (e) {
    return (
      <p className="error" role="alert" data-testid="audit-chain">
        The audit log&apos;s hash chain could not be verified: {(e as Error).message.split('\n')[0]}
      </p>
    );
  }
  if (!report.ok)
    return (
      <p className="error" role="alert" data-testid="audit-chain">
        <strong>The audit log has been tampered with.</strong> The hash chain breaks at {report.firstBroken!.message} Events from this one on cannot be trusted;
        keep the database as it is and report it.
      </p>
    );
  return (
    <p className="muted" data-testid="audit-chain">
      Hash chain intact over {report.checked} event{report.checked === 1 ? '' : 's'}
      {report.head ? (
        <>
          ; head: event {report.head.id}, <code style={{ fontSize: '0.75rem' }}>{report.head.hash}</code> (note it: a later check against it also finds events
          removed from the end)
        </>
      ) : null}
      .
    </p>
  );
}
