/**
 * De-identify a DICOM file (lib/dicom deidentifyDicom, PS3.15 Basic profile) without re-writing
 * its pixel data: when the file ends with a top-level Pixel Data element (7FE0,0010) in explicit
 * VR little endian with a defined length (the CT slices the export writes), only the part before
 * it goes through the tag rewrite and the element's bytes are appended unchanged. Pixel Data is
 * the last standard attribute, so the result is the same dataset deidentifyDicom would write, at
 * a fraction of the cost (dcmjs copies a 512 KiB slice several times). Any other layout
 * (implicit VR, encapsulated pixels, trailing padding, no pixels) takes the whole-file path.
 */
import { deidentifyDicom, type DeidentifyOptions } from '@/lib/dicom/deidentify';

/** Offset of a top-level explicit-VR-LE (7FE0,0010) OB/OW element that runs to the file's end, else -1. */
export function trailingPixelDataOffset(b: Uint8Array): number {
  // After the 128-byte preamble and "DICM"; the element's length must be exactly the rest of the
  // file, so a byte pattern inside another value cannot be taken for it.
  for (let i = 132; i + 12 <= b.length; i++) {
    if (b[i] !== 0xe0 || b[i + 1] !== 0x7f || b[i + 2] !== 0x10 || b[i + 3] !== 0x00) continue;
    if (b[i + 4] !== 0x4f || (b[i + 5] !== 0x57 && b[i + 5] !== 0x42) || b[i + 6] !== 0 || b[i + 7] !== 0) continue;
    const length = (b[i + 8] | (b[i + 9] << 8) | (b[i + 10] << 16) | (b[i + 11] << 24)) >>> 0;
    if (length === b.length - i - 12) return i;
  }
  return -1;
}

export function deidentifyKeepingPixels(bytes: Uint8Array, options: DeidentifyOptions): Uint8Array {
  const at = trailingPixelDataOffset(bytes);
  if (at < 0) return deidentifyDicom(bytes, options);
  const head = deidentifyDicom(bytes.subarray(0, at), options);
  const out = new Uint8Array(head.length + bytes.length - at);
  out.set(head, 0);
  out.set(bytes.subarray(at), head.length);
  return out;
}
