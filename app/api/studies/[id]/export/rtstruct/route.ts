/**
 * GET /api/studies/[id]/export/rtstruct[?phase=N] → the machine GTV of phase N (default the
 * first) and the machine ITV as a DICOM RTSTRUCT referencing that CT series. Physicians only
 * (real UIDs and identifiers); audited in exportStudyRtStruct.
 */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { AppError, toHttpError } from '@/lib/server/errors';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { exportStudyRtStruct } from '@/lib/server/studies/export-study-rtstruct';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const raw = new URL(req.url).searchParams.get('phase');
    if (raw !== null && !/^\d{1,3}$/.test(raw)) throw new AppError('INVALID_INPUT', `phase must be a phase index (0, 1, …), not "${raw.slice(0, 20)}".`);
    const { bytes, fileName } = await exportStudyRtStruct(db(), volumeStore(), { caller: await getCaller(), studyId: id, phaseIndex: raw === null ? null : Number(raw) });
    return new Response(new Uint8Array(bytes), {
      headers: { 'Content-Type': 'application/dicom', 'Content-Disposition': `attachment; filename="${fileName}"`, 'Cache-Control': 'no-store' },
    });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
