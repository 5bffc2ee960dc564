/**
 * GET /api/studies/[id]/volume/image?series=<CT series id>&axial=<k>[&window=lung|mediastinum]
 *   → axial slice k (0-based) of a CT phase as an 8-bit greyscale PNG in that viewer window
 *   (default lung), as the viewer's canvas draws it: the study page's first image (issue #19),
 *   named in the page's HTML so it is fetched while the page's scripts load.
 * Thin: withCaller → parse → getStudySliceImage (authorises; checks the bytes) → response.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudySliceImage } from '@/lib/server/studies/get-study-slice-image';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const GET = withCaller<{ id: string }>('studies:view', async (req, { caller, params }) => {
  const q = new URL(req.url).searchParams;
  const series = q.get('series');
  const axial = q.get('axial');
  const window = q.get('window') ?? 'lung';
  if (!series || !ID.test(series))
    throw new AppError('INVALID_INPUT', 'Name the CT series: ?series=<CT series id>&axial=<slice number from 0> (ids from GET /api/studies/[id]).');
  if (axial === null || !/^\d{1,6}$/.test(axial))
    throw new AppError('INVALID_INPUT', `axial=${JSON.stringify((axial ?? '').slice(0, 20))} is not a slice number: give 0 or more.`);
  if (window !== 'lung' && window !== 'mediastinum')
    throw new AppError('INVALID_INPUT', `window=${JSON.stringify(window.slice(0, 20))} is not a viewer window: lung or mediastinum.`);
  const img = await getStudySliceImage(db(), volumeStore(), { caller, studyId: params.id, seriesId: series, index: Number(axial), window });
  const etag = `"${img.tag}"`;
  const headers = { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=86400', ETag: etag };
  if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(img.png, { headers });
});
