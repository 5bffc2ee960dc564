/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of 16 little-endian uint32 (segment count,
 * then segment offsets), then one PackBits segment per byte plane — for each sample, the most
 * significant byte first. Output: little-endian samples, interleaved per pixel.
 */
export class RleError extends Error {}

export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  if (frame.length < 64) throw new RleError(`the RLE header needs 64 bytes, the frame has ${frame.length}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected)
    throw new RleError(`the RLE header lists ${segments} segments, ${expected} expected for ${samplesPerPixel} sample(s) of ${bytesPerSample * 8} bits`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 * (s + 1), true));
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s];
    const end = s + 1 < segments ? offsets[s + 1] : frame.length;
    if (start < 64 || end > frame.length || end < start)
      throw new RleError(`RLE segment ${s + 1} has offsets ${start}–${end} outside the ${frame.length}-byte frame`);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB segment first → highest LE byte
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < pixels) {
      const n = (frame[p++] << 24) >> 24; // signed header byte
      if (n >= 0) {
        const count = n + 1;
        if (p + count > end) throw new RleError(`RLE segment ${s + 1}: a literal run of ${count} bytes passes the segment end`);
        for (let c = 0; c < count && written < pixels; c++, written++, o += stride) out[o] = frame[p + c];
        p += count;
      } else if (n !== -128) {
        const count = 1 - n;
        const value = frame[p++];
        for (let c = 0; c < count && written < pixels; c++, written++, o += stride) out[o] = value;
      }
    }
    if (written < pixels) throw new RleError(`RLE segment ${s + 1} decodes to ${written} bytes, ${pixels} expected`);
  }
  return out;
}
