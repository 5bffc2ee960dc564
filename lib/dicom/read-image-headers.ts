/**
 * The image series of a folder of DICOM files from their headers alone: for when only the CT grid
 * is needed (a DVH rasterises the structures on the CT grid and never reads its pixels). Each file
 * is read up to its PixelData element (the first 16 KB, which holds a CT header; the whole file when
 * the header is longer, or the file is not a plain Part 10 file), so a 512×512 CT slice costs
 * kilobytes instead of half a megabyte, and nothing is hashed. The series are built as readDicom
 * builds them (groupSeries, resolvePhaseClashes); files that are not images of the modalities
 * asked for are skipped. Unlike readDicom, a byte-for-byte copy of a file is not told apart from a
 * re-export with the same SOPInstanceUID: both are DUPLICATE_SOP_INSTANCE (the first is kept).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Finding, finding } from './findings';
import { type ParsedDicom, parseDicomBytes, str } from './parse-file';
import { parseDicom } from './parser';
import { type CtSeries, type ImageSliceHeader, groupSeries, readImageHeader, resolvePhaseClashes } from './ct-series';

const HEAD_BYTES = 16 * 1024;
const DEFLATED = '1.2.840.10008.1.2.1.99';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * The data set up to (and with the header of) PixelData, from the first bytes of a Part 10 file;
 * null when those bytes do not hold all of it (the caller then reads the whole file).
 */
function parseHead(head: Uint8Array, file: string): ParsedDicom | null {
  if (!(head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d)) return null;
  try {
    const dataSet = parseDicom(head, { untilTag: 'x7fe00010' });
    const transferSyntaxUid = (dataSet.string('x00020010') ?? '').replace(/\0/g, '').trim();
    if (!transferSyntaxUid || transferSyntaxUid === DEFLATED) return null;
    if ((dataSet.warnings ?? []).length > 0) return null;
    const pixelData = dataSet.elements.x7fe00010;
    if (!pixelData || pixelData.dataOffset > head.length) return null;
    // Parsing stopped at its header: an undefined length is encapsulated (compressed) pixel data,
    // as dicom-parser marks it when it walks the fragments.
    if (pixelData.length === 0xffffffff) pixelData.encapsulatedPixelData = true;
    // Every other element must lie wholly within the bytes read.
    for (const [tag, e] of Object.entries(dataSet.elements)) if (tag !== 'x7fe00010' && !(e.dataOffset + (e.length ?? 0) <= head.length)) return null;
    return { file, dataSet, transferSyntaxUid };
  } catch {
    return null;
  }
}

async function readHeader(file: string): Promise<{ parsed: ParsedDicom | null; findings: Finding[] }> {
  const fh = await open(file, 'r');
  let head: Uint8Array;
  let size: number;
  try {
    size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
  } finally {
    await fh.close();
  }
  if (size > head.length) {
    const parsed = parseHead(head, file);
    if (parsed) return { parsed, findings: [] };
    const b = await readFile(file);
    head = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return parseDicomBytes(head, file);
}

/**
 * Image series (by default CT) of a folder (walked recursively) or a list of files, from headers.
 * @throws a Node fs error when `input` does not exist or cannot be listed; every problem with a
 *   file's content is a finding.
 */
export async function readImageHeaders(
  input: string | readonly string[],
  options: { imageModalities?: readonly string[] } = {},
): Promise<{ fileCount: number; series: CtSeries[]; findings: Finding[] }> {
  const files = typeof input === 'string' ? ((await stat(input)).isDirectory() ? await listFiles(input) : [input]) : [...input];
  const modalities = new Set(options.imageModalities ?? ['CT']);
  const findings: Finding[] = [];
  const seenSop = new Map<string, string>();
  const headers: ImageSliceHeader[] = [];
  for (const file of files) {
    if (file.endsWith('DICOMDIR')) continue;
    let r: { parsed: ParsedDicom | null; findings: Finding[] };
    try {
      r = await readHeader(file);
    } catch (e) {
      findings.push(finding('NOT_DICOM', 'error', `${file} could not be read (${(e as Error).message}); check permissions.`, file));
      continue;
    }
    findings.push(...r.findings);
    if (!r.parsed) continue;
    const ds = r.parsed.dataSet;
    if (!modalities.has(str(ds, 'x00080060') ?? '') || !ds.elements.x7fe00010) continue;
    const sop = str(ds, 'x00080018');
    if (sop) {
      const other = seenSop.get(sop);
      if (other) {
        findings.push(
          finding(
            'DUPLICATE_SOP_INSTANCE',
            'warning',
            `${file} has the same SOPInstanceUID ${sop} as ${other}; the first is kept. Check for a copy or a re-export mixed with the original.`,
            file,
          ),
        );
        continue;
      }
      seenSop.set(sop, file);
    }
    const { header, findings: hf } = readImageHeader(r.parsed);
    findings.push(...hf);
    if (header) headers.push(header);
  }
  const series = groupSeries(headers);
  findings.push(...resolvePhaseClashes(series));
  return { fileCount: files.length, series, findings };
}
