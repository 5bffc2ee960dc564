/**
 * Decode one compressed frame into little-endian samples (interleaved per pixel), checking that
 * the codestream has the size the header promises. Codecs (all without native builds):
 * - JPEG 2000 and HTJ2K: @cornerstonejs/codec-openjpeg (OpenJPEG, WASM);
 * - JPEG-LS: @cornerstonejs/codec-charls (CharLS, WASM);
 * - JPEG baseline/extended 8-bit: @cornerstonejs/codec-libjpeg-turbo-8bit (WASM);
 * - JPEG lossless (process 14): jpeg-lossless-decoder-js (plain JS);
 * - RLE: decode-rle.ts.
 * The WASM builds ("decodewasmjs": a loader plus a .wasm file it finds next to itself) are used
 * rather than the single-file builds with the binary inlined, which decode 2–5× slower here.
 * They stay outside every bundle (esbuild CLI: packages external; Next: serverExternalPackages)
 * so the .wasm file is found, and load only when a study needs them.
 */
import { decodeRleFrame } from './decode-rle';
import type { PixelCodec } from './transfer-syntaxes';

export interface FrameFormat {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

export class FrameDecodeError extends Error {}

type Codecs = {
  'jpeg-2000': () => CornerstoneDecoder;
  'jpeg-ls': () => CornerstoneDecoder;
  'jpeg-8bit': () => CornerstoneDecoder;
};
const loaded = new Map<keyof Codecs, Promise<() => CornerstoneDecoder>>();
// The codecs print progress ("[INFO] …") and errors to stdout/stderr; keep the errors for messages.
const codecLog: string[] = [];
const moduleArg = {
  print: () => {},
  printErr: (line: string) => {
    if (/error|warn/i.test(line)) codecLog.push(line.trim());
    if (codecLog.length > 5) codecLog.shift();
  },
};

// Loading a module compiles its WASM (tens of ms): once per process and codec.
function decoderFor(codec: keyof Codecs): Promise<() => CornerstoneDecoder> {
  let p = loaded.get(codec);
  if (!p) {
    p = (async () => {
      if (codec === 'jpeg-2000') {
        const m = await (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(moduleArg);
        return () => new m.J2KDecoder();
      }
      if (codec === 'jpeg-ls') {
        const m = await (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(moduleArg);
        return () => new m.JpegLSDecoder();
      }
      const m = await (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(moduleArg);
      return () => new m.JPEGDecoder();
    })();
    p.catch(() => loaded.delete(codec));
    loaded.set(codec, p);
  }
  return p;
}

function messageOf(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  return `codec error ${String(e)}`;
}

function checkSize(what: string, got: { width: number; height: number; components: number; bytes: number }, f: FrameFormat) {
  const want = f.rows * f.columns * f.samplesPerPixel * (f.bitsAllocated / 8);
  if (got.width !== f.columns || got.height !== f.rows || got.components !== f.samplesPerPixel || got.bytes !== want)
    throw new FrameDecodeError(
      `the ${what} codestream is ${got.width}×${got.height}×${got.components} sample(s) (${got.bytes} bytes decoded); the header says ${f.columns}×${f.rows}×${f.samplesPerPixel} at ${f.bitsAllocated} bits (${want} bytes)`,
    );
}

function widenBytes(bytes: Uint8Array, signed: boolean): Uint8Array {
  const wide = new Uint16Array(bytes.length);
  for (let n = 0; n < bytes.length; n++) wide[n] = signed ? ((bytes[n] << 24) >> 24) & 0xffff : bytes[n];
  return new Uint8Array(wide.buffer);
}

async function decodeWithWasm(codec: keyof Codecs, what: string, frame: Uint8Array, f: FrameFormat): Promise<Uint8Array> {
  const make = await decoderFor(codec);
  const decoder = make();
  codecLog.length = 0;
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    try {
      decoder.decode();
    } catch (e) {
      throw new FrameDecodeError(`the ${what} codestream does not decode (${[messageOf(e), ...codecLog].join('; ')})`);
    }
    const info = decoder.getFrameInfo();
    // The decoded buffer is a view into WASM memory, freed by delete(): copy it out.
    let out: Uint8Array = decoder.getDecodedBuffer().slice();
    // A codestream of ≤ 8-bit samples in 16-bit allocated pixels decodes to one byte per
    // sample: widen it (sign-extending when the codestream says signed), as pydicom does.
    if (f.bitsAllocated === 16 && info.bitsPerSample <= 8 && out.length === f.rows * f.columns * f.samplesPerPixel) out = widenBytes(out, info.isSigned);
    checkSize(what, { width: info.width, height: info.height, components: info.componentCount, bytes: out.length }, f);
    return out;
  } finally {
    decoder.delete();
  }
}

async function decodeJpegLossless(frame: Uint8Array, f: FrameFormat): Promise<Uint8Array> {
  const { Decoder } = await import('jpeg-lossless-decoder-js');
  const d = new Decoder();
  let samples: Uint8Array | Uint16Array;
  try {
    const own = frame.slice(); // the decoder wants an ArrayBuffer of its own
    samples = d.decode(own.buffer, 0, own.length, f.bitsAllocated / 8);
  } catch (e) {
    throw new FrameDecodeError(`the JPEG lossless codestream does not decode (${messageOf(e)})`);
  }
  // Typed arrays are little endian on every platform Node runs on that we support (x64, arm64).
  const out = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  checkSize('JPEG lossless', { width: d.frame.dimX, height: d.frame.dimY, components: d.frame.numComp, bytes: out.length }, f);
  return out;
}

/** @throws FrameDecodeError (or RleError) with a message that says what does not fit. */
export async function decodeFrame(codec: Exclude<PixelCodec, 'native'>, frame: Uint8Array, f: FrameFormat): Promise<Uint8Array> {
  switch (codec) {
    case 'rle':
      return decodeRleFrame(frame, f.rows * f.columns, f.samplesPerPixel, f.bitsAllocated / 8);
    case 'jpeg-lossless':
      return decodeJpegLossless(frame, f);
    case 'jpeg-2000':
      return decodeWithWasm('jpeg-2000', 'JPEG 2000', frame, f);
    case 'jpeg-ls':
      return decodeWithWasm('jpeg-ls', 'JPEG-LS', frame, f);
    case 'jpeg-8bit':
      return decodeWithWasm('jpeg-8bit', 'JPEG', frame, f);
  }
}
