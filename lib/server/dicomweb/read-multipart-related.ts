/**
 * A streaming reader of a `multipart/related` body (RFC 2046 §5.1, RFC 2387), as WADO-RS answers
 * a retrieve (DICOM PS3.18 §8.6.1.2: one `application/dicom` part per instance).
 *
 * The body is read chunk by chunk and each part's bytes are handed to the sink as they arrive:
 * memory stays at about one chunk plus the boundary, whatever the size of a part or of the whole
 * answer. A body that ends before its closing boundary, a part whose headers never end, or a
 * body without any boundary is a MultipartError naming what was read so far.
 */

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

/** One part's headers, names lower-cased. */
export type PartHeaders = Record<string, string>;

/** Where a part's bytes go: `begin` is called with its headers, then `write` per chunk, then `end`. */
export interface PartSink {
  begin(headers: PartHeaders, index: number): Promise<void> | void;
  write(chunk: Uint8Array): Promise<void> | void;
  end(): Promise<void> | void;
}

/** Headers of one part may not exceed this (the DICOM parts carry two or three short headers). */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The `boundary` (and `type`) parameters of a Content-Type such as
 * `multipart/related; type="application/dicom"; boundary=abc`, or a MultipartError when the
 * media type is not multipart or has no boundary.
 */
export function parseMultipartContentType(contentType: string | null): { boundary: string; type: string | null } {
  const value = contentType ?? '';
  if (!/^\s*multipart\//i.test(value)) {
    throw new MultipartError(`expected a multipart/related answer but got Content-Type "${value || '(none)'}"`);
  }
  const params: Record<string, string> = {};
  // key=value or key="quoted value" (a quoted value may contain ; and =).
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m; (m = re.exec(value));) params[m[1].toLowerCase()] = (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]).trim();
  const boundary = params.boundary;
  if (!boundary) throw new MultipartError(`the multipart answer's Content-Type "${value}" has no boundary parameter`);
  if (boundary.length > 70) throw new MultipartError(`the multipart boundary is ${boundary.length} characters long; RFC 2046 allows at most 70`);
  return { boundary, type: params.type ?? null };
}

function parseHeaders(block: Buffer): PartHeaders {
  const headers: PartHeaders = {};
  let name: string | null = null;
  for (const line of block.toString('latin1').split('\r\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && name) {
      headers[name] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`a part header line "${line.slice(0, 80)}" has no name`);
    name = line.slice(0, colon).trim().toLowerCase();
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Reads `body` and hands every part to `sink`. @returns the number of parts.
 * @throws MultipartError for a truncated or malformed body; whatever the sink throws.
 */
export async function readMultipartRelated(body: AsyncIterable<Uint8Array>, boundary: string, sink: PartSink): Promise<number> {
  // Every delimiter is CRLF "--" boundary; the first may come without the CRLF, so one is put in front.
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  const keep = delimiter.length - 1;
  let buf: Buffer = Buffer.from('\r\n', 'latin1');
  type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';
  let state = 'preamble' as State;
  // `step` changes the state; a getter keeps TypeScript from narrowing it across the awaits.
  const now = (): State => state;
  let parts = 0;
  let total = 0;

  const step = async (final: boolean): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          if (buf.length > keep) buf = buf.subarray(buf.length - keep);
          return false;
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          return false;
        }
        const eol = buf.indexOf('\r\n', 0, 'latin1');
        if (eol < 0) {
          if (buf.length > 1024) throw new MultipartError('a boundary line goes on for more than 1 KiB');
          return false;
        }
        if (buf.subarray(0, eol).toString('latin1').trim() !== '') throw new MultipartError('unexpected characters after a boundary');
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        // A part without headers starts with the empty line at once.
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          buf = buf.subarray(2);
          await sink.begin({}, parts);
          state = 'body';
          return true;
        }
        const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw new MultipartError(`part ${parts + 1}'s headers exceed ${MAX_HEADER_BYTES} bytes`);
          return false;
        }
        const headers = parseHeaders(buf.subarray(0, end));
        buf = buf.subarray(end + 4);
        await sink.begin(headers, parts);
        state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          if (at > 0) await sink.write(buf.subarray(0, at));
          await sink.end();
          parts++;
          buf = buf.subarray(at + delimiter.length);
          state = 'after-delimiter';
          return true;
        }
        // Everything but a possible start of the delimiter can go to the sink now.
        const safe = final ? 0 : Math.max(0, buf.length - keep);
        if (safe > 0) {
          await sink.write(buf.subarray(0, safe));
          buf = buf.subarray(safe);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of body) {
    total += chunk.length;
    if (now() === 'done') continue; // the epilogue is ignored
    // A view, not a copy; the sink's chunks are views too, and nothing here writes into them.
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    buf = buf.length === 0 ? view : Buffer.concat([buf, view]);
    while (await step(false));
  }
  if (now() !== 'done') {
    while (await step(false));
    if (now() !== 'done') {
      if (parts === 0 && now() === 'preamble') throw new MultipartError(`the answer (${total} bytes) holds no part delimited by boundary "${boundary}"`);
      throw new MultipartError(
        `the answer ended after ${total} bytes inside part ${parts + 1}, before the closing boundary: the connection was cut or the server stopped`,
      );
    }
  }
  return parts;
}
