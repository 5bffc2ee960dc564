/**
 * GET /api/studies/[id]/volume?series=<seriesId>      → a CT phase, Int16 HU
 * GET /api/studies/[id]/volume?structure=<structureId> → a physician or machine mask, 1 byte/voxel
 * Binary (application/octet-stream, the voxel bytes gzipped: X-Volume-Encoding: gzip), voxels in lib/core/volume index order; the
 * grid is in the X-Volume-* headers. Ids only: the store key is looked up under this study.
 * Stored volumes never change, so the response is cacheable (privately) by its sha256.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { AppError, toHttpError } from '@/lib/server/errors';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudyVolume, type StudyVolumeRequest } from '@/lib/server/studies/get-study-volume';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const gzipAsync = promisify(gzip);
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const q = new URL(req.url).searchParams;
    const series = q.get('series');
    const structure = q.get('structure');
    let request: StudyVolumeRequest;
    if (series && !structure && ID.test(series)) request = { kind: 'ct', seriesId: series };
    else if (structure && !series && ID.test(structure)) request = { kind: 'mask', structureId: structure };
    else throw new AppError('INVALID_INPUT', 'Name exactly one volume: ?series=<CT series id> or ?structure=<structure id> (ids from GET /api/studies/[id]).');
    const caller = await getCaller();
    const v = await getStudyVolume(db(), volumeStore(), { caller, studyId: id, request });
    const etag = `"${v.sha256}"`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Cache-Control': 'private, max-age=86400',
      ETag: etag,
      'X-Volume-Type': v.dataType,
      'X-Volume-Dims': v.grid.dims.join(','),
      'X-Volume-Spacing': v.grid.spacingMm.join(','),
      'X-Volume-Origin': v.grid.originMm.join(','),
      'X-Volume-Direction': v.grid.direction.join(','),
    };
    if (v.box !== undefined) headers['X-Volume-Box'] = v.box ? [...v.box.lo, ...v.box.hi].join(',') : 'empty';
    if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
    // gzip as the payload itself (X-Volume-Encoding), not as HTTP Content-Encoding: the viewer
    // inflates it with DecompressionStream, and no proxy or server layer can encode it twice
    // or strip the header.
    const body = await gzipAsync(v.bytes, { level: 3 });
    return new Response(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { headers: { ...headers, 'X-Volume-Encoding': 'gzip' } });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
