/**
 * One file's bytes → a parsed DICOM data set, or findings saying why not.
 * Reference: DICOM PS3.10 §7 (file meta information), PS3.5 §10 (transfer syntaxes).
 */
import { inflateRawSync } from 'node:zlib';
import { type DataSet, parseDicom, readPart10Header } from './parser';
import { type Finding, finding } from './findings';

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';
/** Transfer syntaxes whose pixel data we can read without an image codec. */
export const NATIVE_TRANSFER_SYNTAXES = new Set([IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE]);

/** Deflated explicit VR LE (PS3.5 A.5): everything after the meta header is raw deflate. */
function inflateDataSet(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const full = new Uint8Array(position + inflated.length);
  full.set(bytes.subarray(0, position));
  full.set(inflated, position);
  return full;
}

export interface ParsedDicom {
  file: string;
  dataSet: DataSet;
  transferSyntaxUid: string;
}

const VR_CODES = new Set('AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/** Guess implicit or explicit VR little endian from the first element of a raw data set. */
function guessRawSyntax(bytes: Uint8Array, at: number): string | null {
  if (bytes.length < at + 8) return null;
  const group = bytes[at] | (bytes[at + 1] << 8);
  if (group === 0 || group > 0x7fe0 || group % 2 === 1) return null;
  const vr = String.fromCharCode(bytes[at + 4], bytes[at + 5]);
  return VR_CODES.has(vr) ? EXPLICIT_VR_LE : IMPLICIT_VR_LE;
}

function messageOf(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  const ex = (e as { exception?: unknown })?.exception;
  if (ex !== undefined) return messageOf(ex);
  return String(e);
}

/**
 * Parse a file's bytes.
 *
 * Never throws. Files without the 128-byte preamble and "DICM", or whose meta header lacks
 * TransferSyntaxUID (0002,0010), are read as a raw data set when their first element looks like
 * DICOM (with a MISSING_TRANSFER_SYNTAX warning naming the syntax assumed); anything else is
 * NOT_DICOM. A data set that ends inside an element is TRUNCATED.
 */
export function parseDicomBytes(bytes: Uint8Array, file: string): { parsed: ParsedDicom | null; findings: Finding[] } {
  const findings: Finding[] = [];
  const hasPrefix = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  let rawAt = -1;
  if (!hasPrefix) {
    rawAt = 0;
  } else {
    try {
      const meta = readPart10Header(bytes);
      if (!meta.elements.x00020010) rawAt = (meta as unknown as { position: number }).position;
    } catch (e) {
      return { parsed: null, findings: [truncated(file, e)] };
    }
  }
  if (rawAt >= 0) {
    const syntax = guessRawSyntax(bytes, rawAt);
    if (!syntax) {
      findings.push(
        finding(
          'NOT_DICOM',
          'error',
          `${file} is not a DICOM file (no "DICM" marker at byte 128 and no recognisable data set): check that the export wrote DICOM files, not a report or an archive.`,
          file,
        ),
      );
      return { parsed: null, findings };
    }
    const raw = bytes.subarray(rawAt);
    try {
      const dataSet = parseDicom(raw, { TransferSyntaxUID: syntax });
      if (!dataSet.elements.x00080016 && !dataSet.elements.x00080060) throw new Error('no SOPClassUID or Modality');
      const eof = (dataSet.warnings ?? []).find((w) => /eof|overrun|past end/i.test(w));
      if (eof) throw new Error(eof);
      findings.push(
        finding(
          'MISSING_TRANSFER_SYNTAX',
          'warning',
          `${file} has no transfer syntax (${hasPrefix ? 'meta header without (0002,0010)' : 'no Part 10 header'}); read as ${syntax === IMPLICIT_VR_LE ? 'implicit' : 'explicit'} VR little endian: check the values, and re-export as Part 10 files if they look wrong.`,
          file,
        ),
      );
      return { parsed: { file, dataSet, transferSyntaxUid: syntax }, findings };
    } catch (e) {
      findings.push(
        hasPrefix
          ? truncated(file, e)
          : finding(
              'NOT_DICOM',
              'error',
              `${file} is not a DICOM file (no "DICM" marker at byte 128 and it does not parse as a raw data set: ${messageOf(e)}).`,
              file,
            ),
      );
      return { parsed: null, findings };
    }
  }
  try {
    const dataSet = parseDicom(bytes, { inflater: inflateDataSet as unknown as (a: Uint8Array, p: number) => void });
    const transferSyntaxUid = (dataSet.string('x00020010') ?? '').replace(/\0/g, '').trim();
    // dicom-parser does not throw when a sequence of undefined length runs into the end of the
    // file: it records a warning and returns what it read. That is a truncated file.
    const eof = (dataSet.warnings ?? []).find((w) => /eof|overrun|past end/i.test(w));
    if (eof) {
      findings.push(truncated(file, eof));
      return { parsed: null, findings };
    }
    return { parsed: { file, dataSet, transferSyntaxUid }, findings };
  } catch (e) {
    findings.push(truncated(file, e));
    return { parsed: null, findings };
  }
}

function truncated(file: string, e: unknown): Finding {
  return finding(
    'TRUNCATED',
    'error',
    `${file} is truncated or corrupt (${messageOf(e)}): check that the copy or download finished, and copy the file again.`,
    file,
  );
}

/** A trimmed string attribute with NUL padding removed, or undefined. */
export function str(ds: DataSet, tag: string): string | undefined {
  const s = ds.string(tag);
  if (s === undefined) return undefined;
  const t = s.replace(/\0/g, '').trim();
  return t === '' ? undefined : t;
}

/** A multi-valued DS/IS attribute as numbers (NaN for a malformed value), or undefined. */
export function numbers(ds: DataSet, tag: string): number[] | undefined {
  const s = str(ds, tag);
  if (s === undefined) return undefined;
  return s.split('\\').map((v) => (v.trim() === '' ? NaN : Number(v)));
}

/** A single numeric DS/IS value, or undefined. */
export function number(ds: DataSet, tag: string): number | undefined {
  const v = numbers(ds, tag);
  return v && v.length > 0 && Number.isFinite(v[0]) ? v[0] : undefined;
}
