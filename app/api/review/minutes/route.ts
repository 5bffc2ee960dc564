/**
 * GET /api/review/minutes?meeting=… → the meeting's minutes as CSV (one line per decision).
 * Identifier columns only for roles with identifiers:view (and then the export is audited);
 * cells that a spreadsheet would run as formulas are neutralised (lib/core/review/format-minutes-csv.ts).
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { findMeetingMinutes, minutesCsvRows } from '@/lib/server/review/find-meeting-minutes';
import { formatMinutesCsv } from '@/lib/core/review/format-minutes-csv';

export const dynamic = 'force-dynamic';

export const GET = withCaller('review:view', async (req, { caller }) => {
  const meeting = new URL(req.url).searchParams.get('meeting');
  if (!meeting) throw new AppError('INVALID_INPUT', 'Missing ?meeting=: name the meeting whose minutes you want, for example ?meeting=2026-11-28.');
  const minutes = await findMeetingMinutes(db(), { caller, meeting, purpose: 'export' });
  const text = formatMinutesCsv(minutesCsvRows(minutes), { identified: minutes.identified });
  const safeName = minutes.meeting.replace(/[^A-Za-z0-9._-]+/g, '_');
  return new Response(text, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="review-minutes-${safeName}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
});
