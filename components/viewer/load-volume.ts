/**
 * Fetch one binary volume from GET /api/studies/[id]/volume (Int16 HU for CT, one byte per voxel
 * for masks) or GET /api/studies/[id]/dose (float32 dose values); grid in X-Volume-* headers. Cached per URL (up to 1 GiB), so scrubbing phases back
 * and forth does not refetch.
 */
import type { Vec3 } from '@/lib/core/volume';
import { setMaskBox } from '@/lib/core/viewer';

export interface LoadedVolume {
  dims: Vec3;
  spacingMm: Vec3;
  originMm: Vec3;
  direction: number[];
  data: Int16Array | Uint8Array | Float32Array;
}

// Bounded by bytes: a 512×512×200 CT phase is 100 MB, so ten phases with their masks would
// otherwise exhaust a tab. The oldest volumes go first; a page still holding one keeps it alive.
const MAX_CACHED_BYTES = 1024 * 1024 * 1024;
const cache = new Map<string, { promise: Promise<LoadedVolume>; bytes: number }>();

function evict(keep: string): void {
  let total = 0;
  for (const e of cache.values()) total += e.bytes;
  for (const [url, e] of cache) {
    if (total <= MAX_CACHED_BYTES) break;
    if (url === keep) continue;
    cache.delete(url);
    total -= e.bytes;
  }
}

function numbers(h: Headers, name: string, n: number): number[] {
  const v = (h.get(name) ?? '').split(',').map(Number);
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new Error(`The volume response has no valid ${name} header.`);
  return v;
}

async function fetchVolume(url: string): Promise<LoadedVolume> {
  return parseVolumeResponse(await fetch(url, { credentials: 'same-origin' }));
}

/** Decode a GET /api/studies/[id]/volume response. @throws Error with the server's message. */
export async function parseVolumeResponse(res: Response): Promise<LoadedVolume> {
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new Error(message);
  }
  const h = res.headers;
  const dims = numbers(h, 'X-Volume-Dims', 3) as Vec3;
  const buf =
    h.get('X-Volume-Encoding') === 'gzip' && res.body
      ? await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()
      : await res.arrayBuffer();
  const type = h.get('X-Volume-Type');
  const data = type === 'int16' ? new Int16Array(buf) : type === 'float32' ? new Float32Array(buf) : new Uint8Array(buf);
  if (data.length !== dims[0] * dims[1] * dims[2])
    throw new Error(`The volume has ${data.length} voxels but its grid ${dims.join('×')} needs ${dims[0] * dims[1] * dims[2]}.`);
  const box = h.get('X-Volume-Box');
  if (data instanceof Uint8Array && box) {
    if (box === 'empty') setMaskBox(data, dims, null);
    else {
      const b = numbers(h, 'X-Volume-Box', 6);
      setMaskBox(data, dims, { lo: [b[0], b[1], b[2]], hi: [b[3], b[4], b[5]] });
    }
  }
  return {
    dims,
    spacingMm: numbers(h, 'X-Volume-Spacing', 3) as Vec3,
    originMm: numbers(h, 'X-Volume-Origin', 3) as Vec3,
    direction: numbers(h, 'X-Volume-Direction', 9),
    data,
  };
}

export function loadVolume(url: string): Promise<LoadedVolume> {
  const hit = cache.get(url);
  if (hit) {
    // most recently used last
    cache.delete(url);
    cache.set(url, hit);
    return hit.promise;
  }
  const entry = { promise: fetchVolume(url), bytes: 0 };
  cache.set(url, entry);
  entry.promise.then(
    (v) => {
      entry.bytes = v.data.byteLength;
      evict(url);
    },
    () => cache.delete(url),
  );
  return entry.promise;
}

export function ctUrl(studyId: string, seriesId: string): string {
  return `/api/studies/${encodeURIComponent(studyId)}/volume?series=${encodeURIComponent(seriesId)}`;
}

/** Axial slice k (0-based) of a CT phase alone: the viewer's first image, before the whole volume. */
export function sliceUrl(studyId: string, seriesId: string, k: number): string {
  return `/api/studies/${encodeURIComponent(studyId)}/volume?series=${encodeURIComponent(seriesId)}&axial=${k}`;
}

export function maskUrl(studyId: string, structureId: string): string {
  return `/api/studies/${encodeURIComponent(studyId)}/volume?structure=${encodeURIComponent(structureId)}`;
}

/** The study's dose grid (the one its dose metrics use), fetched once per study. */
export function doseUrl(studyId: string): string {
  return `/api/studies/${encodeURIComponent(studyId)}/dose`;
}
