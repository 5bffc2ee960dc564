/**
 * GET /api/studies/[id]/export/rtstruct[?phase=N] → the machine GTV of phase N (default the
 * first) and the machine ITV as a DICOM RTSTRUCT referencing that CT series. Physicians only
 * (real UIDs and identifiers); audited in exportStudyRtStruct.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { exportStudyRtStruct } from '@/lib/server/studies/export-study-rtstruct';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = withCaller<{ id: string }>('identifiers:view', async (req, { caller, params }) => {
  const raw = new URL(req.url).searchParams.get('phase');
  if (raw !== null && !/^\d{1,3}$/.test(raw)) throw new AppError('INVALID_INPUT', `phase must be a phase index (0, 1, …), not "${raw.slice(0, 20)}".`);
  const { bytes, fileName } = await exportStudyRtStruct(db(), volumeStore(), { caller, studyId: params.id, phaseIndex: raw === null ? null : Number(raw) });
  return new Response(new Uint8Array(bytes), {
    headers: { 'Content-Type': 'application/dicom', 'Content-Disposition': `attachment; filename="${fileName}"`, 'Cache-Control': 'no-store' },
  });
});
