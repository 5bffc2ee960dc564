/**
 * Split encapsulated (compressed) PixelData into one byte string per frame (DICOM PS3.5 A.4).
 *
 * The item after the PixelData tag is the Basic Offset Table (possibly empty); each further item
 * is a fragment. A frame may span several fragments. How fragments map to frames:
 * - one frame: every fragment belongs to it;
 * - a non-empty Basic Offset Table: frame f is the fragments from offset BOT[f] to BOT[f+1];
 * - an empty table and as many fragments as frames: one fragment per frame;
 * - otherwise (empty table, more fragments than frames): frames are found by their JPEG start
 *   of image marker (FFD8) at the start of a fragment — all JPEG family codestreams begin so.
 * Anything else cannot be split and throws (the caller turns it into a finding naming the file).
 */
import type { DataSet, Element } from './parser';

export class FrameSplitError extends Error {}

interface Fragment {
  /** Offset of the fragment's item tag from the first fragment's item tag (what the BOT counts). */
  offset: number;
  /** Absolute position of the fragment's bytes in the data set's byte array. */
  position: number;
  length: number;
}

function concat(bytes: Uint8Array, fragments: Fragment[]): Uint8Array {
  if (fragments.length === 1) return bytes.subarray(fragments[0].position, fragments[0].position + fragments[0].length);
  const total = fragments.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    out.set(bytes.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return out;
}

/** The compressed bytes of every frame, in frame order. */
export function readEncapsulatedFrames(dataSet: DataSet, pixelData: Element, numberOfFrames: number): Uint8Array[] {
  const fragments = (pixelData.fragments ?? []) as Fragment[];
  const bot = pixelData.basicOffsetTable ?? [];
  const bytes = dataSet.byteArray as Uint8Array;
  if (fragments.length === 0) throw new FrameSplitError('the encapsulated pixel data holds no fragments');
  for (const f of fragments)
    if (f.position + f.length > bytes.length)
      throw new FrameSplitError(`a fragment at byte ${f.position} runs ${f.position + f.length - bytes.length} bytes past the end of the file`);
  if (numberOfFrames === 1) return [concat(bytes, fragments)];
  if (bot.length > 0) {
    if (bot.length !== numberOfFrames) throw new FrameSplitError(`the Basic Offset Table lists ${bot.length} frames, NumberOfFrames is ${numberOfFrames}`);
    const frames: Uint8Array[] = [];
    for (let f = 0; f < numberOfFrames; f++) {
      const start = bot[f];
      const end = f + 1 < numberOfFrames ? bot[f + 1] : Infinity;
      const own = fragments.filter((x) => x.offset >= start && x.offset < end);
      if (own.length === 0 || own[0].offset !== start) throw new FrameSplitError(`Basic Offset Table entry ${f} (${start}) does not point at a fragment`);
      frames.push(concat(bytes, own));
    }
    return frames;
  }
  if (fragments.length === numberOfFrames) return fragments.map((f) => concat(bytes, [f]));
  const starts: number[] = [];
  fragments.forEach((f, n) => {
    if (f.length >= 2 && bytes[f.position] === 0xff && bytes[f.position + 1] === 0xd8) starts.push(n);
  });
  if (starts.length !== numberOfFrames || starts[0] !== 0)
    throw new FrameSplitError(
      `${fragments.length} fragments for ${numberOfFrames} frames with an empty Basic Offset Table, and ${starts.length} of them start a JPEG codestream: the frames cannot be told apart`,
    );
  return starts.map((s, n) => concat(bytes, fragments.slice(s, n + 1 < starts.length ? starts[n + 1] : fragments.length)));
}
