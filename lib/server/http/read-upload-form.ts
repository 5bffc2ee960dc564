/**
 * Read a multipart/form-data upload as a stream: the one file part goes straight to a fresh
 * server-chosen temp folder (mode 0700, the file 0600), the text fields are collected (small and
 * capped); nothing of the file is held in memory. The file is refused at the first chunk past
 * `maxFileBytes` (PAYLOAD_TOO_LARGE, 413) and what was written is removed. Call it only after the
 * caller is authorised (withCaller does that), so no anonymous body is read.
 * busboy parses the multipart stream.
 */
import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { AppError } from '../errors';

export interface ReadUploadFormOptions {
  req: Request;
  /** Name of the file field. */
  fileField: string;
  /** Text fields to keep; others are ignored. */
  fields: readonly string[];
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Largest text field, in bytes; default 64 KiB. */
  maxFieldBytes?: number;
  /** What the file is, for messages; default "the file". */
  what?: string;
  /** How the limit is named in the message, e.g. "ISEG_UPLOAD_MAX_MB". */
  limitName?: string;
  /** Parent of the temp folder; default os.tmpdir(). */
  tmpRoot?: string;
  /** Called after each chunk of the file is written (tests watch the disk with it). */
  onWrite?: (progress: { path: string; bytesWritten: number }) => void;
}

export interface UploadForm {
  file: { path: string; name: string; bytes: number };
  fields: Record<string, string | undefined>;
  /** Removes the temp folder and the file. */
  cleanup(): Promise<void>;
}

const mib = (n: number) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MiB`;

export async function readUploadForm(options: ReadUploadFormOptions): Promise<UploadForm> {
  const { req, fileField, maxFileBytes } = options;
  const contentType = req.headers.get('content-type') ?? '';
  const noFile = () =>
    new AppError('INVALID_INPUT', `No file: attach ${options.what ?? 'the file'} in the field "${fileField}" of a multipart/form-data request.`);
  if (!/^multipart\/form-data\s*;/i.test(contentType) || !req.body) throw noFile();
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        fileSize: maxFileBytes,
        fields: options.fields.length + 4,
        fieldSize: options.maxFieldBytes ?? 64 * 1024,
        parts: options.fields.length + 5,
        headerPairs: 20,
      },
    });
  } catch (e) {
    throw new AppError(
      'INVALID_INPUT',
      `The upload is not readable multipart/form-data (${(e as Error).message}); send it as a form with the file in the field "${fileField}".`,
    );
  }
  // The owner's pid in the name: the start-up clean-up removes the folders of a process that died
  // before cleaning up (lib/server/storage/remove-upload-leftovers.ts).
  const dir = await mkdtemp(path.join(options.tmpRoot ?? os.tmpdir(), `iseg-upload-body-${process.pid}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const target = path.join(dir, 'upload');
  const input = Readable.fromWeb(req.body as unknown as NodeWebReadableStream<Uint8Array>);
  const fields: Record<string, string | undefined> = {};
  let file: UploadForm['file'] | undefined;
  let writing: Promise<void> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let fileStream: Readable | undefined;
      const fail = (err: AppError) => {
        if (failed) return;
        failed = true;
        // Stop parsing; what is left of the body is read and thrown away (never buffered) so that
        // the client, still sending, gets the answer.
        input.unpipe(bb);
        input.on('error', () => {});
        input.resume();
        fileStream?.destroy();
        bb.destroy();
        reject(err);
      };
      bb.on('file', (name, stream, info) => {
        if (name !== fileField || file) {
          stream.resume();
          return fail(new AppError('INVALID_INPUT', `Unexpected file field "${name.slice(0, 40)}": send one file, in the field "${fileField}".`));
        }
        fileStream = stream;
        const entry = { path: target, name: (info.filename ?? 'upload').slice(0, 200), bytes: 0 };
        file = entry;
        stream.on('limit', () =>
          fail(
            new AppError(
              'PAYLOAD_TOO_LARGE',
              `Upload "${entry.name}" is over the upload limit of ${mib(maxFileBytes)}${options.limitName ? ` (${options.limitName})` : ''}; split the export into one zip per patient, or raise the limit.`,
            ),
          ),
        );
        const out = createWriteStream(target, { flags: 'wx', mode: 0o600 });
        const counter = new Transform({
          transform(chunk: Buffer, _enc: BufferEncoding, cb: (err: Error | null, data?: Buffer) => void) {
            entry.bytes += chunk.length;
            cb(null, chunk);
          },
        });
        out.on('finish', () => options.onWrite?.({ path: target, bytesWritten: out.bytesWritten }));
        writing = pipeline(stream, counter, out);
        writing.catch((err: unknown) =>
          fail(err instanceof AppError ? err : new AppError('INVALID_INPUT', `The upload could not be stored (${(err as Error).message}).`)),
        );
      });
      bb.on('field', (name, value, info) => {
        if (info.valueTruncated) return fail(new AppError('INVALID_INPUT', `Field "${name.slice(0, 40)}" is too long.`));
        if (options.fields.includes(name)) fields[name] = value;
      });
      bb.on('filesLimit', () => fail(new AppError('INVALID_INPUT', `Send one file only, in the field "${fileField}".`)));
      bb.on('fieldsLimit', () => fail(new AppError('INVALID_INPUT', 'Too many form fields.')));
      bb.on('partsLimit', () => fail(new AppError('INVALID_INPUT', 'Too many form parts.')));
      bb.on('error', (err) =>
        fail(new AppError('INVALID_INPUT', `The upload is not readable multipart/form-data (${(err as Error).message}); send it again.`)),
      );
      bb.on('close', () => {
        if (failed) return;
        (writing ?? Promise.resolve()).then(
          () => resolve(),
          () => {},
        );
      });
      input.on('error', (err) => fail(new AppError('INVALID_INPUT', `The upload was cut off (${err.message}); send it again.`)));
      input.pipe(bb);
    });
    if (!file || file.bytes === 0) throw noFile();
    return { file, fields, cleanup };
  } catch (err) {
    await writing?.catch(() => {});
    await cleanup();
    throw err;
  }
}
