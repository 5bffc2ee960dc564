/**
 * GET /api/outcomes/table?table=cox|fine-gray|km&<analysis parameters> → the table as CSV.
 * The analysis parameters are the outcomes page's (run-outcome-analysis.types.ts). Thin:
 * withCaller → parse → runOutcomeAnalysis (authorises again) → CSV.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { analysisInputFromParams } from '@/lib/server/outcomes/run-outcome-analysis.types';
import { formatOutcomeTableCsv, OUTCOME_TABLES, type OutcomeTable } from '@/lib/server/outcomes/format-outcome-table-csv';

export const dynamic = 'force-dynamic';

export const GET = withCaller('outcomes:view', async (req, { caller }) => {
  const params = new URL(req.url).searchParams;
  const table = (params.get('table') ?? 'cox') as OutcomeTable;
  if (!OUTCOME_TABLES.includes(table)) throw new AppError('INVALID_INPUT', `Unknown table "${table}": use ${OUTCOME_TABLES.join(', ')}.`);
  const analysis = await runOutcomeAnalysis(db(), { caller, request: analysisInputFromParams(params) });
  const text = formatOutcomeTableCsv(analysis, table);
  if (text === null) {
    const section = table === 'km' ? analysis.km : table === 'cox' ? analysis.cox : analysis.cuminc;
    const why = section.status === 'not-run' ? section.reason : section.status === 'error' ? section.message : 'The Fine–Gray model was not fitted.';
    throw new AppError('INVALID_INPUT', `No ${table} table for these settings: ${why}`);
  }
  return new Response(text, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="outcomes-${table}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
});
