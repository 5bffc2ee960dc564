/**
 * Writing one received instance into the spool safely: the bytes go to a temporary file under
 * `<spool>/.incoming/`, are fsync'd, and the file is renamed to
 * `<spool>/<StudyInstanceUID>/<SOPInstanceUID>.dcm` (and the folder fsync'd). A process killed
 * at any moment leaves either the whole file under its final name or a `.part` file in
 * `.incoming/` (removed on the next start), never a half file that counts.
 */
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

export const INCOMING_DIR = '.incoming';

/** A UID usable as a file or folder name (digits and dots, 1-64 characters, as PS3.5 9.1 allows). */
export function isUid(v: string | undefined | null): v is string {
  return typeof v === 'string' && /^[0-9]+(\.[0-9]+)*$/.test(v) && v.length <= 64;
}

/** The Part 10 file meta information (preamble, "DICM", group 0002) for a received instance. */
export function fileMetaHeader(opts: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; sourceAeTitle: string }): Buffer {
  const el = (element: number, vr: string, value: Buffer): Buffer => {
    const long = vr === 'OB';
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(0x0002, 0);
    head.writeUInt16LE(element, 2);
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(value.length, 8);
    else head.writeUInt16LE(value.length, 6);
    return Buffer.concat([head, value]);
  };
  const text = (s: string, pad: string) => {
    const b = Buffer.from(s, 'latin1');
    return b.length % 2 ? Buffer.concat([b, Buffer.from(pad, 'latin1')]) : b;
  };
  const ui = (s: string) => text(s, '\0');
  const body = Buffer.concat([
    el(0x0001, 'OB', Buffer.from([0, 1])),
    el(0x0002, 'UI', ui(opts.sopClassUid)),
    el(0x0003, 'UI', ui(opts.sopInstanceUid)),
    el(0x0010, 'UI', ui(opts.transferSyntaxUid)),
    el(0x0012, 'UI', ui(IMPLEMENTATION_CLASS_UID)),
    el(0x0013, 'SH', text(IMPLEMENTATION_VERSION, ' ')),
    el(0x0016, 'AE', text(opts.sourceAeTitle.slice(0, 16), ' ')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, el(0x0000, 'UL', groupLength), body]);
}

/** Our implementation class UID (a UUID-derived 2.25 UID, fixed) and version name. */
export const IMPLEMENTATION_CLASS_UID = '2.25.229318237861547296151542338463532189313';
export const IMPLEMENTATION_VERSION = 'ISEG_QA_1';

/** How many bytes of each file the spool writer keeps in memory for reading the header. */
const HEAD_BYTES = 256 * 1024;

/** Spool folders whose `.incoming/` is known to exist (made once, again if it went missing). */
const incomingMade = new Set<string>();

async function openPart(spoolDir: string, file: string): Promise<FileHandle> {
  if (!incomingMade.has(spoolDir)) {
    await mkdir(path.dirname(file), { recursive: true });
    incomingMade.add(spoolDir);
  }
  try {
    return await open(file, 'w', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(path.dirname(file), { recursive: true });
    return open(file, 'w', 0o600);
  }
}

/**
 * A Writable that writes to a temporary `.part` file and keeps the first HEAD_BYTES in memory;
 * on end it fsyncs and closes the file. `finished` resolves when the bytes are on disk (or
 * rejects with the write error). The chunks are written as they come (several at once with one
 * writev, not joined) and the head keeps references to them, not copies: the listener hands
 * over views of network buffers that nothing else writes to.
 */
export class SpoolPartWriter extends Writable {
  readonly tempFile: string;
  private fh: Promise<FileHandle>;
  private head: Buffer[] = [];
  private headLength = 0;
  bytes = 0;
  readonly finished: Promise<void>;

  constructor(spoolDir: string, meta: Buffer) {
    super({ highWaterMark: 1 << 20 });
    this.tempFile = path.join(spoolDir, INCOMING_DIR, `${Date.now()}-${randomBytes(6).toString('hex')}.part`);
    this.fh = openPart(spoolDir, this.tempFile);
    this.fh.catch(() => undefined);
    this.keep(meta);
    this.pending = this.fh.then((fh) => fh.write(meta)).then(() => undefined);
    this.pending.catch(() => undefined);
    this.finished = new Promise<void>((resolve, reject) => {
      this.once('finish', () => resolve());
      this.once('error', reject);
    });
    this.finished.catch(() => undefined);
  }

  private pending: Promise<void>;

  private keep(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.headLength >= HEAD_BYTES) return;
    const part = chunk.length <= HEAD_BYTES - this.headLength ? chunk : chunk.subarray(0, HEAD_BYTES - this.headLength);
    this.head.push(part);
    this.headLength += part.length;
  }

  /**
   * The first bytes written (meta header included; at least `atLeast` of them where there are,
   * else all that were kept), and whether that is the whole file.
   */
  headBytes(atLeast = HEAD_BYTES): { bytes: Buffer; complete: boolean } {
    let n = 0;
    let parts = 0;
    while (parts < this.head.length && n < atLeast) n += this.head[parts++].length;
    const bytes = parts === 1 ? this.head[0] : Buffer.concat(this.head.slice(0, parts), n);
    return { bytes, complete: n === this.bytes };
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) this.keep(b);
    this.pending = this.pending.then(() => this.fh).then((fh) => writeAll(fh, bufs));
    this.pending.then(
      () => callback(),
      (e: Error) => callback(e),
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.pending
      .then(() => this.fh)
      .then(async (fh) => {
        await fh.sync();
        await fh.close();
      })
      .then(
        () => callback(),
        (e: Error) => callback(e),
      );
  }

  /** Removes the temporary file (after a failure). */
  async discard(): Promise<void> {
    try {
      await (await this.fh).close();
    } catch {}
    await rm(this.tempFile, { force: true });
  }
}

/** Writes the buffers in order at the file's position (writev; again for what a short write left). */
async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let left = bufs.filter((b) => b.length > 0);
  // At most IOV_MAX (1024 on Linux) buffers per writev.
  while (left.length > 0) {
    const batch = left.slice(0, 1024);
    const want = batch.reduce((t, b) => t + b.length, 0);
    let { bytesWritten } = await fh.writev(batch);
    if (bytesWritten === want) {
      left = left.slice(batch.length);
      continue;
    }
    // A short write: drop what was written and go on with the rest.
    const rest: Buffer[] = [];
    for (const b of left) {
      if (bytesWritten >= b.length) bytesWritten -= b.length;
      else {
        rest.push(bytesWritten > 0 ? b.subarray(bytesWritten) : b);
        bytesWritten = 0;
      }
    }
    left = rest;
  }
}

/** Study folders this process has made (or found) in a spool. */
const studyDirsMade = new Set<string>();

/**
 * Moves a finished `.part` file to `<spool>/<studyUid>/<sopUid>.dcm` and fsyncs the folder.
 * @returns whether a file of that SOP Instance UID was there already (a repeated send).
 */
export async function commitSpoolFile(spoolDir: string, tempFile: string, studyUid: string, sopUid: string): Promise<{ file: string; replaced: boolean }> {
  const dir = path.join(spoolDir, studyUid);
  // Made once per study folder (not per instance); made again when the rename finds it gone
  // (the import removes a study's emptied folder).
  if (!studyDirsMade.has(dir)) {
    await mkdir(dir, { recursive: true });
    if (studyDirsMade.size >= 10_000) studyDirsMade.clear();
    studyDirsMade.add(dir);
  }
  const file = path.join(dir, `${sopUid}.dcm`);
  const replaced = await stat(file).then(
    () => true,
    () => false,
  );
  try {
    await rename(tempFile, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    studyDirsMade.delete(dir);
    await mkdir(dir, { recursive: true });
    await rename(tempFile, file);
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return { file, replaced };
}

/** Removes what a killed process left in `<spool>/.incoming/` (never counted). @returns the files removed. */
export async function removeIncomingLeftovers(spoolDir: string): Promise<string[]> {
  const dir = path.join(spoolDir, INCOMING_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  for (const n of names) await rm(path.join(dir, n), { force: true, recursive: true });
  return names;
}

/** The study folders in the spool with their `.dcm` files (sorted). */
export async function listSpoolStudies(spoolDir: string): Promise<{ studyUid: string; dir: string; files: string[] }[]> {
  let entries;
  try {
    entries = await readdir(spoolDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: { studyUid: string; dir: string; files: string[] }[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !isUid(e.name)) continue;
    const dir = path.join(spoolDir, e.name);
    const files = (await readdir(dir))
      .filter((n) => n.endsWith('.dcm'))
      .sort()
      .map((n) => path.join(dir, n));
    out.push({ studyUid: e.name, dir, files });
  }
  return out;
}
