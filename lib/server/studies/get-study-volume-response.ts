/**
 * The HTTP response for one study volume (GET /api/studies/[id]/volume): the voxel bytes
 * gzipped as the payload (X-Volume-Encoding: gzip; not HTTP Content-Encoding, so no server or
 * proxy layer can encode it twice or drop the header), the grid and a mask's bounding box in
 * X-Volume-* headers, and the stored file's sha256 as ETag (stored volumes never change).
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { StudyVolume } from './get-study-volume';

const gzipAsync = promisify(gzip);

export async function getStudyVolumeResponse(v: StudyVolume, ifNoneMatch?: string | null): Promise<Response> {
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
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  const body = await gzipAsync(v.bytes, { level: 3 });
  return new Response(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { headers: { ...headers, 'X-Volume-Encoding': 'gzip' } });
}
