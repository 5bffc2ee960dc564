/**
 * Read a folder (recursively) or a list of DICOM files into CT series and structure sets, with
 * findings for every file that could not be used. One bad file never stops the rest.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DicomError, type Finding, finding } from './findings';
import { parseDicomBytes, str } from './parse-file';
import { type BuildSeriesOptions, type CtSeries, type ImageSliceHeader, groupSeries, readImageHeader, resolvePhaseClashes } from './ct-series';
import { RT_STRUCTURE_SET_STORAGE, type RtStructureSet, readRtStruct } from './rtstruct';

export interface DicomImport {
  /** Number of files looked at. */
  fileCount: number;
  /** sha256 (hex) of each file read, by path, of the bytes parsed (the importer's file hashes). */
  fileSha256?: Map<string, string>;
  series: CtSeries[];
  structureSets: RtStructureSet[];
  /** File-level findings (unreadable, duplicate, ignored) and cross-series ones (phase clashes). */
  findings: Finding[];
}

export interface ReadDicomOptions extends BuildSeriesOptions {
  /** Modalities read as image series; default ['CT']. */
  imageModalities?: string[];
  /**
   * Phases mapped by hand, keyed by series key or SeriesInstanceUID, in percent (0 ≤ p < 100).
   * They replace what was recognised and are exempt from the clash check.
   */
  phaseOverrides?: Record<string, number>;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Read DICOM input.
 *
 * @param input a directory (walked recursively) or a list of file paths.
 * @throws a Node fs error when `input` does not exist or cannot be listed, and
 *   DicomError('INVALID_INPUT') for a phase override outside [0, 100); every problem with a
 *   file's content is a finding.
 */
/** Files read ahead of the one being parsed (at most this many file contents held at once, besides it). */
const READ_AHEAD = 8;

export async function readDicom(input: string | readonly string[], options: ReadDicomOptions = {}): Promise<DicomImport> {
  let files: string[];
  if (typeof input === 'string') files = (await stat(input)).isDirectory() ? await listFiles(input) : [input];
  else files = [...input];
  const modalities = new Set(options.imageModalities ?? ['CT']);
  const findings: Finding[] = [];
  const seenHash = new Map<string, string>();
  const seenSop = new Map<string, string>();
  const headers: ImageSliceHeader[] = [];
  const structureSets: RtStructureSet[] = [];
  const ignored = new Map<string, string[]>();
  const fileSha256 = new Map<string, string>();
  const readBytes = (file: string): Promise<Uint8Array | Error> =>
    readFile(file).then(
      (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
  // READ_AHEAD files are read (libuv) while this one is hashed and parsed: each read is several
  // round trips to the thread pool (open, stat, read, close), which a loaded machine makes slow.
  const ahead: Promise<Uint8Array | Error>[] = [];
  for (let f = 0; f < Math.min(READ_AHEAD, files.length); f++) ahead.push(readBytes(files[f]));

  for (let f = 0; f < files.length; f++) {
    const file = files[f];
    const got = await ahead.shift()!;
    if (f + READ_AHEAD < files.length) ahead.push(readBytes(files[f + READ_AHEAD]));
    if (got instanceof Error) {
      findings.push(finding('NOT_DICOM', 'error', `${file} could not be read (${got.message}); check permissions.`, file));
      continue;
    }
    const bytes = got;
    if (file.endsWith('DICOMDIR')) {
      ignored.set('DICOMDIR', [...(ignored.get('DICOMDIR') ?? []), file]);
      continue;
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    fileSha256.set(file, hash);
    const dup = seenHash.get(hash);
    if (dup) {
      findings.push(finding('DUPLICATE_FILE', 'warning', `${file} is a byte-for-byte copy of ${dup}; the copy is ignored.`, file));
      continue;
    }
    seenHash.set(hash, file);
    const { parsed, findings: pf } = parseDicomBytes(bytes, file);
    findings.push(...pf);
    if (!parsed) continue;
    const ds = parsed.dataSet;
    const sop = str(ds, 'x00080018');
    if (sop) {
      const other = seenSop.get(sop);
      if (other) {
        findings.push(
          finding(
            'DUPLICATE_SOP_INSTANCE',
            'warning',
            `${file} has the same SOPInstanceUID ${sop} as ${other} but different content; the first is kept. Check for a re-export mixed with the original.`,
            file,
          ),
        );
        continue;
      }
      seenSop.set(sop, file);
    }
    const sopClass = str(ds, 'x00080016');
    const modality = str(ds, 'x00080060') ?? '';
    if (sopClass === RT_STRUCTURE_SET_STORAGE || modality === 'RTSTRUCT') {
      structureSets.push(readRtStruct(parsed));
    } else if (modalities.has(modality) && ds.elements.x7fe00010) {
      const { header, findings: hf } = readImageHeader(parsed);
      findings.push(...hf);
      if (header) headers.push(header);
    } else {
      const kind = modality || sopClass || 'unknown';
      ignored.set(kind, [...(ignored.get(kind) ?? []), file]);
    }
  }
  for (const [kind, list] of ignored)
    findings.push(
      finding(
        'IGNORED_OBJECT',
        'info',
        `${list.length} ${kind} file(s) ignored (not a ${[...modalities].join('/')} image or RTSTRUCT), e.g. ${list[0]}.`,
        list[0],
      ),
    );

  const series = groupSeries(headers, options);
  const overrides = options.phaseOverrides ?? {};
  const manual = new Set<CtSeries>();
  for (const s of series) {
    const p = overrides[s.key] ?? overrides[s.seriesInstanceUid];
    if (p === undefined) continue;
    if (!(p >= 0 && p < 100)) throw new DicomError('INVALID_INPUT', `Phase override ${p} for series ${s.key} must be a percent in [0, 100).`);
    s.phase = { percent: p, source: 'manual' };
    manual.add(s);
  }
  findings.push(...resolvePhaseClashes(series.filter((s) => !manual.has(s))));
  return { fileCount: files.length, series, structureSets, findings, fileSha256 };
}
