/**
 * WADO-RS retrieve of a whole study (PS3.18 §10.4, `GET {base}/studies/{uid}` with
 * `Accept: multipart/related; type="application/dicom"`), streamed to disk: each part (one
 * instance) is written to `<dir>/<n>.dcm` as its bytes arrive, never held whole in memory.
 *
 * `transfer-syntax=*` asks for the instances as stored (no transcoding on the PACS); the import
 * decodes the common syntaxes and reports the others as findings.
 *
 * The time limit applies to the answer's headers and then to every pause between two chunks of
 * the body (a slow but moving transfer of a large study is not cut). A body cut before its
 * closing boundary is an UNAVAILABLE AppError; the files already written stay in `dir` for the
 * caller to remove (the retrieval job works in a temporary folder and removes it).
 */
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors';
import { DICOMWEB_TIMEOUT_MS, dicomWebGet, type DicomWebTarget } from './dicomweb-request';
import { MultipartError, parseMultipartContentType, readMultipartRelated } from './read-multipart-related';
import { checkUid } from './search-dicomweb-studies';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Bytes gathered before one write to disk. */
const WRITE_BYTES = 1 << 20;

export const WADO_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

export interface RetrieveProgress {
  /** Instances written so far. */
  instances: number;
  bytes: number;
}

export interface RetrieveDicomWebStudyOptions {
  target: DicomWebTarget;
  studyInstanceUid: string;
  /** An existing folder the instances are written to. */
  dir: string;
  /** Headers, and then each pause in the body (ms); default DICOMWEB_TIMEOUT_MS. */
  timeoutMs?: number;
  onProgress?: (p: RetrieveProgress) => void | Promise<void>;
  signal?: AbortSignal;
}

/** @returns the files written (in the order received) and the bytes. @throws AppError UNAVAILABLE / NOT_FOUND / INVALID_INPUT. */
export async function retrieveDicomWebStudy(options: RetrieveDicomWebStudyOptions): Promise<{ files: string[]; bytes: number }> {
  const { target, dir } = options;
  const uid = checkUid(options.studyInstanceUid, 'StudyInstanceUID');
  const timeoutMs = options.timeoutMs ?? DICOMWEB_TIMEOUT_MS;
  const what = `retrieve of study ${uid} (WADO-RS)`;
  const idle = new AbortController();
  options.signal?.addEventListener('abort', () => idle.abort(options.signal?.reason), { once: true });
  const res = await dicomWebGet({ target, path: `studies/${uid}`, accept: WADO_ACCEPT, what, timeoutMs, signal: idle.signal });
  let boundary: string;
  try {
    boundary = parseMultipartContentType(res.headers.get('content-type')).boundary;
  } catch (e) {
    await res.body?.cancel().catch(() => undefined);
    throw new AppError(
      'UNAVAILABLE',
      `PACS "${target.name}" (${target.baseUrl}) answered the ${what} with ${(e as Error).message}: is the base URL a DICOMweb root that supports WADO-RS?`,
    );
  }
  if (!res.body) throw new AppError('UNAVAILABLE', `PACS "${target.name}" (${target.baseUrl}) answered the ${what} with an empty body.`);

  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  };
  const files: string[] = [];
  /** Parts written whole (files.length also counts the one being written). */
  let complete = 0;
  let bytes = 0;
  let fh: FileHandle | null = null;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await fh!.write(data);
  };
  const body = res.body;
  const bodyChunks = body as unknown as AsyncIterable<Uint8Array>;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    arm();
    for await (const chunk of bodyChunks) {
      arm();
      yield chunk;
    }
  }
  try {
    await readMultipartRelated(chunks(), boundary, {
      async begin(headers, index) {
        const type = (headers['content-type'] ?? 'application/dicom').split(';')[0].trim().toLowerCase();
        if (type !== 'application/dicom') {
          throw new AppError(
            'UNAVAILABLE',
            `PACS "${target.name}" (${target.baseUrl}) sent part ${index + 1} of the ${what} as "${type}", not application/dicom.`,
          );
        }
        const file = path.join(dir, `${String(index + 1).padStart(6, '0')}.dcm`);
        fh = await open(file, 'wx');
        files.push(file);
      },
      async write(chunk) {
        // Network chunks are ~16–64 KiB: writes are gathered to WRITE_BYTES (one disk write per
        // MiB instead of dozens). The reader never overwrites a chunk it handed out.
        pending.push(chunk as Buffer);
        pendingBytes += chunk.length;
        bytes += chunk.length;
        if (pendingBytes >= WRITE_BYTES) await flush();
      },
      async end() {
        await flush();
        await fh!.close();
        fh = null;
        complete++;
        await options.onProgress?.({ instances: files.length, bytes });
      },
    });
  } catch (e) {
    await (fh as FileHandle | null)?.close().catch(() => undefined);
    await body.cancel().catch(() => undefined);
    if (e instanceof AppError) throw e;
    const reason = idle.signal.reason as { name?: string } | undefined;
    if (idle.signal.aborted && reason?.name === 'TimeoutError') {
      throw new AppError(
        'UNAVAILABLE',
        `PACS "${target.name}" (${target.baseUrl}) stopped sending the ${what} after ${complete} instance(s): nothing arrived for ${seconds(timeoutMs)}. Check that it is running and reachable, then try again.`,
      );
    }
    if (e instanceof MultipartError) {
      throw new AppError(
        'UNAVAILABLE',
        `PACS "${target.name}" (${target.baseUrl}): the ${what} is incomplete (${e.message}, ${complete} instance(s) received whole). Try again; if it repeats, check the PACS log.`,
      );
    }
    // A local file error (open, write: a full disk…) is ours, not the PACS's: errors.ts maps it.
    const syscall = (e as NodeJS.ErrnoException).syscall;
    if (syscall === 'open' || syscall === 'write' || syscall === 'close') throw e;
    // undici ends a cut body with TypeError("terminated") (cause: the socket error), an abort with the reason.
    const cut = idle.signal.aborted || e instanceof TypeError || (e as { name?: string }).name === 'AbortError';
    if (!cut) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new AppError(
      'UNAVAILABLE',
      `PACS "${target.name}" (${target.baseUrl}): the connection closed during the ${what} after ${complete} instance(s) (${why}). Try again; if it repeats, check the PACS and the network.`,
    );
  } finally {
    clearTimeout(timer);
  }
  return { files, bytes };
}
