/**
 * The streaming multipart/related reader: hand-written bodies, cut into chunks at every possible
 * place (a boundary split across two chunks is the case a naive reader gets wrong), parts whose
 * bytes contain CRLF and dashes, and truncated or malformed bodies.
 */
import { describe, expect, it } from 'vitest';
import { MultipartError, parseMultipartContentType, readMultipartRelated, type PartHeaders } from '@/lib/server/dicomweb/read-multipart-related';

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  let n = 0;
  while (at < bytes.length) {
    const size = sizes[n++ % sizes.length];
    yield new Uint8Array(bytes.subarray(at, at + size));
    at += size;
  }
}

async function read(body: Buffer, boundary: string, sizes: number[] = [body.length]) {
  const parts: { headers: PartHeaders; body: Buffer }[] = [];
  let current: Buffer[] = [];
  let maxChunk = 0;
  const n = await readMultipartRelated(chunked(body, sizes), boundary, {
    begin(headers) {
      parts.push({ headers, body: Buffer.alloc(0) });
      current = [];
    },
    write(chunk) {
      maxChunk = Math.max(maxChunk, chunk.length);
      current.push(Buffer.from(chunk));
    },
    end() {
      parts[parts.length - 1].body = Buffer.concat(current);
    },
  });
  return { n, parts, maxChunk };
}

const B = 'b0undary-XyZ';
const partA = Buffer.from('DICM\r\n--b0undary-X not the boundary\r\n-- and \r\n\r\nmore', 'latin1');
const partB = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
const body = Buffer.concat([
  Buffer.from(`preamble to ignore\r\n--${B}\r\nContent-Type: application/dicom\r\nContent-Length: ${partA.length}\r\n\r\n`, 'latin1'),
  partA,
  Buffer.from(`\r\n--${B}\r\ncontent-type: application/dicom;\r\n transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n`, 'latin1'),
  partB,
  Buffer.from(`\r\n--${B}--\r\nepilogue`, 'latin1'),
]);

describe('readMultipartRelated', () => {
  it('reads two parts with their headers and exact bytes, in one chunk', async () => {
    const r = await read(body, B);
    expect(r.n).toBe(2);
    expect(r.parts[0].headers).toEqual({ 'content-type': 'application/dicom', 'content-length': String(partA.length) });
    expect(r.parts[0].body.equals(partA)).toBe(true);
    expect(r.parts[1].headers['content-type']).toBe('application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
    expect(r.parts[1].body.equals(partB)).toBe(true);
  });

  it('gives the same parts whatever the chunking (every split position, 1-byte and 7-byte chunks)', async () => {
    for (let split = 1; split < body.length; split++) {
      const r = await read(body, B, [split, body.length]);
      expect(r.n, `split at ${split}`).toBe(2);
      expect(r.parts[0].body.equals(partA), `split at ${split}`).toBe(true);
      expect(r.parts[1].body.equals(partB), `split at ${split}`).toBe(true);
    }
    for (const sizes of [[1], [7], [3, 11, 2]]) {
      const r = await read(body, B, sizes);
      expect(r.parts.map((p) => p.body.toString('hex'))).toEqual([partA.toString('hex'), partB.toString('hex')]);
    }
  });

  it('streams: a large part reaches the sink in pieces no larger than the chunks', async () => {
    const big = Buffer.alloc(1_000_000, 7);
    const b = Buffer.concat([Buffer.from(`--${B}\r\nContent-Type: application/dicom\r\n\r\n`), big, Buffer.from(`\r\n--${B}--`)]);
    const r = await read(b, B, [65_536]);
    expect(r.parts[0].body.equals(big)).toBe(true);
    expect(r.maxChunk).toBeLessThanOrEqual(65_536 + B.length + 4);
  });

  it('an empty multipart (only the closing boundary) has no parts', async () => {
    expect((await read(Buffer.from(`--${B}--\r\n`), B)).n).toBe(0);
  });

  it('a body cut inside a part, or without any boundary, is a MultipartError saying so', async () => {
    const cut = body.subarray(0, body.length - 40);
    await expect(read(cut, B)).rejects.toThrow(MultipartError);
    await expect(read(cut, B)).rejects.toThrow(/ended after \d+ bytes inside part 2, before the closing boundary/);
    await expect(read(Buffer.from('<html>error</html>'), B)).rejects.toThrow(/holds no part delimited by boundary/);
  });
});

describe('parseMultipartContentType', () => {
  it('reads a quoted or bare boundary and the type', () => {
    expect(parseMultipartContentType('multipart/related; type="application/dicom"; boundary="a;b=c"')).toEqual({
      boundary: 'a;b=c',
      type: 'application/dicom',
    });
    expect(parseMultipartContentType('Multipart/Related;boundary=abc;type=application/dicom')).toEqual({ boundary: 'abc', type: 'application/dicom' });
  });
  it('refuses a non-multipart type or a missing boundary, naming what it got', () => {
    expect(() => parseMultipartContentType('application/json')).toThrow(/expected a multipart\/related answer but got Content-Type "application\/json"/);
    expect(() => parseMultipartContentType(null)).toThrow(/\(none\)/);
    expect(() => parseMultipartContentType('multipart/related; type="application/dicom"')).toThrow(/no boundary/);
  });
});
