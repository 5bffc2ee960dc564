/**
 * HTTP to a DICOMweb server (PS3.18): the base URL joined with a path, HTTP basic auth when the
 * endpoint has a user, a time limit, and failures turned into AppErrors that name the server
 * (its name and URL, never the password), the HTTP status and what to check.
 */
import { AppError } from '../errors';
// undici's own fetch, not Node's built-in one: Node 24's bundled undici (7.29) kills the process
// with an uncatchable AssertionError when a PACS closes the connection while we are still writing
// the body to disk (the parser is paused by backpressure; nodejs/undici#5360, fixed in undici 8).
import { fetch as undiciFetch } from 'undici';

/** A DICOMweb server as the client needs it (lib/server/pacs keeps the configured ones). */
export interface DicomWebTarget {
  /** Shown in messages, e.g. "Orthanc (radiology)". */
  name: string;
  /** Base URL of the DICOMweb service, e.g. http://pacs:8042/dicom-web (no trailing slash needed). */
  baseUrl: string;
  username?: string | null;
  password?: string | null;
}

/** Default time limit of a query, and of the pause between two chunks of a retrieve (ms). */
export const DICOMWEB_TIMEOUT_MS = 30_000;

function describe(target: DicomWebTarget): string {
  return `PACS "${target.name}" (${target.baseUrl})`;
}

/** `base` + `/` + `path` (one slash between them) + the query string. */
export function dicomWebUrl(target: DicomWebTarget, pathname: string, query?: URLSearchParams): string {
  const base = target.baseUrl.replace(/\/+$/, '');
  const q = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
  return `${base}/${pathname.replace(/^\/+/, '')}${q}`;
}

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS did not answer)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/** The AppError for a request that got no answer (refused, unresolvable, timed out, cut). */
export function dicomWebNetworkError(target: DicomWebTarget, e: unknown, what: string, timeoutMs: number): AppError {
  const err = e as { name?: string; code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new AppError(
      'UNAVAILABLE',
      `${describe(target)} did not answer ${what} within ${timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : Math.round(timeoutMs / 1000)} s: check that it is running and reachable from this server.`,
    );
  }
  const code = err?.cause?.code ?? err?.code ?? '';
  const why = NET_CODES[code] ?? err?.cause?.message ?? err?.message ?? String(e);
  return new AppError(
    'UNAVAILABLE',
    `${describe(target)} could not be reached for ${what} (${code ? `${code}: ` : ''}${why}): check the base URL on the PACS settings page and that the PACS is running.`,
  );
}

/** The AppError for a non-2xx answer. */
export async function dicomWebHttpError(target: DicomWebTarget, res: Response, what: string): Promise<AppError> {
  const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  const hint =
    res.status === 401 || res.status === 403
      ? 'check the user name and password on the PACS settings page'
      : res.status === 404
        ? what.startsWith('retrieve')
          ? 'the PACS no longer has this study, or the base URL does not end at its DICOMweb root (e.g. …/dicom-web)'
          : 'check that the base URL ends at the DICOMweb root (e.g. http://pacs:8042/dicom-web)'
        : res.status === 400
          ? 'the PACS refused the query; check the search fields'
          : res.status >= 500
            ? 'the PACS failed; its log says why'
            : 'check the PACS settings';
  return new AppError(
    res.status === 404 && what.startsWith('retrieve') ? 'NOT_FOUND' : 'UNAVAILABLE',
    `${describe(target)} answered ${what} with ${status}${body ? ` (${body})` : ''}: ${hint}.`,
  );
}

export interface DicomWebRequest {
  target: DicomWebTarget;
  path: string;
  query?: URLSearchParams;
  accept: string;
  /** What the request is for, in messages: 'the study search', 'retrieve of study 1.2.3'. */
  what: string;
  /** Until the answer's headers arrive (ms); default DICOMWEB_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Aborts the request, and later the reading of its body. */
  signal?: AbortSignal;
}

/** GET with auth and a time limit; returns the answer (2xx) or throws an AppError naming the PACS. */
export async function dicomWebGet(r: DicomWebRequest): Promise<Response> {
  const timeoutMs = r.timeoutMs ?? DICOMWEB_TIMEOUT_MS;
  const headers = new Headers({ Accept: r.accept });
  if (r.target.username) {
    headers.set('Authorization', 'Basic ' + Buffer.from(`${r.target.username}:${r.target.password ?? ''}`, 'utf8').toString('base64'));
  }
  const url = dicomWebUrl(r.target, r.path, r.query);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  const onAbort = () => controller.abort(r.signal?.reason);
  r.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Response;
  try {
    res = (await undiciFetch(url, { headers: Object.fromEntries(headers), signal: controller.signal, redirect: 'follow' })) as unknown as Response;
  } catch (e) {
    const reason = controller.signal.reason as { name?: string } | undefined;
    throw dicomWebNetworkError(r.target, reason?.name === 'TimeoutError' ? reason : e, r.what, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
  // The listener stays: aborting r.signal later also ends the body's stream (a retrieve's idle limit).
  if (!res.ok) throw await dicomWebHttpError(r.target, res, r.what);
  return res;
}
