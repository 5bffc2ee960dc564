/**
 * GET /api/outcomes/table?table=cox|fine-gray|km&<analysis parameters> → the table as CSV.
 * The analysis parameters are the outcomes page's (run-outcome-analysis.types.ts). Thin:
 * parse → authorise (in runOutcomeAnalysis) → call → map errors.
 */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { AppError, toHttpError } from '@/lib/server/errors';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { analysisInputFromParams } from '@/lib/server/outcomes/run-outcome-analysis.types';
import { formatOutcomeTableCsv, OUTCOME_TABLES, type OutcomeTable } from '@/lib/server/outcomes/format-outcome-table-csv';

export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  try {
    const params = new URL(req.url).searchParams;
    const table = (params.get('table') ?? 'cox') as OutcomeTable;
    if (!OUTCOME_TABLES.includes(table)) throw new AppError('INVALID_INPUT', `Unknown table "${table}": use ${OUTCOME_TABLES.join(', ')}.`);
    const caller = await getCaller();
    const analysis = await runOutcomeAnalysis(db(), { caller: caller!, request: analysisInputFromParams(params) });
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
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
