/**
 * GET /api/admin/audit?user=&action=&patient=&from=&to= → the matching audit events as CSV
 * (permission audit:view). The export itself is an audit event ('audit.export', with the search).
 * Thin: withCaller → parse → authorise (in findAuditEvents / iterateAuditEvents) → stream.
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { recordAuditEvent } from '@/lib/server/audit/record-audit-event';
import { iterateAuditEvents, parseAuditSearch } from '@/lib/server/audit/find-audit-events';
import { auditSearchFromParams } from '@/lib/server/audit/find-audit-events.types';
import { auditCsvHeader, auditCsvLine } from '@/lib/server/audit/format-audit-csv';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = withCaller('audit:view', async (req, { caller }) => {
  const input = auditSearchFromParams(new URL(req.url).searchParams);
  const search = parseAuditSearch(input); // refuse bad parameters before the stream starts
  await recordAuditEvent(db(), {
    action: 'audit.export',
    caller,
    target: 'audit-log',
    details: { search: { ...search, page: undefined, pageSize: undefined } },
  });
  const encoder = new TextEncoder();
  const rows = iterateAuditEvents(db(), { caller, search: input });
  // The first batch is read before the response starts, so a failure (the database gone, say)
  // is an HTTP error with a message rather than a 200 with an empty body.
  const first = await rows.next();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(auditCsvHeader()));
      if (first.done) controller.close();
      else controller.enqueue(encoder.encode(first.value.map(auditCsvLine).join('')));
    },
    async pull(controller) {
      const next = await rows.next();
      if (next.done) return controller.close();
      controller.enqueue(encoder.encode(next.value.map(auditCsvLine).join('')));
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="iseg-audit-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
});
