/**
 * DICOM half of the study importer, in two steps so that a re-import costs only a scan:
 * 1. `scanDicomStudy`: lib/dicom reads the headers, the importer checks there is exactly one
 *    study with a usable CT, assigns 4D CT phase indices, and hashes the files it will use.
 * 2. `materialiseDicomStudy`: decodes each CT series, rasterises every ROI onto the series its
 *    structure set references, classifies it, and puts volumes and masks in the volume store.
 * Neither step touches the database.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { type Grid, voxelVolumeCc } from '@/lib/core/volume';
import {
  type CtSeries,
  type DicomImport,
  DicomError,
  type RtStructureSet,
  findReferencedSeries,
  loadCtVolume,
  rasterizeRoi,
  readDicom,
  seriesRasterTarget,
} from '@/lib/dicom';
import { parseDicomBytes, str } from '@/lib/dicom/parse-file';
import { AppError } from '../errors';
import { putNiftiVolume, type StoredVolume, type VolumeStore } from '../storage/volume-store';
import type { SiteRuleSet } from '@/lib/core/structures';
import { classifyStructure } from './classify-structure';
import { chooseReferenceObserver, observerSuffix, structureSetObserver } from '../observers/identify-observers';
import { relativePath, relativeText } from './relative-paths';
import type { ImportFinding, ImportProgress, PreparedSeries, PreparedStructure, PreparedStudy } from './import-study.types';
import { type DoseFileScan, isDoseIgnoredFinding, materialiseStudyDose, scanStudyDose } from './prepare-study-dose';

export interface DicomScan {
  studyInstanceUid: string;
  contentHash: string;
  fileCount: number;
  read: DicomImport;
  /** Loadable CT series of the study, with their phase index (null: not a 4D CT phase). */
  series: { s: CtSeries; phaseIndex: number | null }[];
  structureSets: { ss: RtStructureSet; series: CtSeries }[];
  findings: ImportFinding[];
  root: string;
  /** RTDOSE and RTPLAN files (prepare-study-dose.ts). */
  dose: DoseFileScan;
  /** sha256 of each file used (CT slices, structure sets), by path. */
  fileHashes: Map<string, string>;
}

/**
 * A CT series' volume decoded and stored before the import (the DICOM node prepares a received
 * series once it stops growing: lib/server/dicom-receive/prepare-received-series.ts), found by
 * `seriesVolumeHash` of the series' slice files; null when there is none (the import decodes it).
 */
export type PreparedVolumeLookup = (seriesHash: string) => Promise<StoredVolume | null>;

/**
 * Names the volume that loadCtVolume + putNiftiVolume make of exactly these slice files (their
 * sha256 values): a changed, added or removed slice gives another hash. Bump the version when
 * the decoding or the NIfTI encoding changes what a series' volume holds.
 */
export function seriesVolumeHash(sliceFileHashes: Iterable<string>): string {
  return createHash('sha256')
    .update(`ct-volume v1\n${combineHashes(sliceFileHashes)}`)
    .digest('hex');
}

const errorsOf = (fs: { severity: string; message: string }[]) => fs.filter((f) => f.severity === 'error').map((f) => f.message);

function parseDa(v: string | undefined): Date | null {
  if (!v || !/^\d{8}$/.test(v.trim())) return null;
  const d = new Date(Date.UTC(Number(v.slice(0, 4)), Number(v.slice(4, 6)) - 1, Number(v.slice(6, 8))));
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** sha256 over the sorted, distinct per-file sha256 values (one per line). */
export function combineHashes(hashes: Iterable<string>): string {
  return createHash('sha256')
    .update([...new Set(hashes)].sort().join('\n'))
    .digest('hex');
}

/** lib/dicom's readDicom with progress, its input errors as AppError INVALID_INPUT. */
export async function readDicomInput(files: string[], phaseMapping?: Record<string, number>, onProgress?: (p: ImportProgress) => void): Promise<DicomImport> {
  onProgress?.({ stage: 'reading', done: 0, total: files.length, message: `reading ${files.length} files` });
  try {
    const read = await readDicom(files, { phaseOverrides: phaseMapping });
    onProgress?.({ stage: 'reading', done: files.length, total: files.length });
    return read;
  } catch (e) {
    if (e instanceof DicomError) throw new AppError('INVALID_INPUT', e.message);
    throw e;
  }
}

/**
 * Read and validate. @throws AppError INVALID_INPUT (no CT, no usable CT, several studies,
 * ambiguous or clashing phases) with the findings in `details`.
 */
export async function scanDicomStudy(options: {
  files: string[];
  label: string;
  /** Folder that finding paths are made relative to. */
  root: string;
  phaseMapping?: Record<string, number>;
  onProgress?: (p: ImportProgress) => void;
  /** The files as readDicomInput read them already. */
  read?: DicomImport;
}): Promise<DicomScan> {
  const { files, label, root } = options;
  const relative = (p: string) => relativePath(root, p);
  const read = options.read ?? (await readDicomInput(files, options.phaseMapping, options.onProgress));
  const rel = (f: { code: string; severity: ImportFinding['severity']; message: string; file?: string }): ImportFinding => {
    const out: ImportFinding = { code: f.code, severity: f.severity, message: relativeText(f.message, root) };
    if (f.file) out.file = relative(f.file);
    return out;
  };
  // RTDOSE / RTPLAN files are read by prepare-study-dose.ts, not ignored.
  const findings: ImportFinding[] = read.findings.filter((f) => !isDoseIgnoredFinding(f)).map(rel);
  const fail = (message: string): never => {
    throw new AppError('INVALID_INPUT', relativeText(message, root), { findings });
  };
  if (read.series.length === 0) {
    const why = findings
      .filter((f) => f.severity === 'error')
      .slice(0, 3)
      .map((f) => f.message);
    fail(
      `No CT images in ${label}: ${read.fileCount} file(s) read, ${read.structureSets.length} structure set(s), no CT slices` +
        `${why.length ? ` (${why.join(' ')})` : ''}. Check that the export includes the CT series, not only the RTSTRUCT.`,
    );
  }
  const clashes = findings.filter((f) => f.code === 'PHASE_UNKNOWN');
  if (clashes.length > 0)
    fail(`${clashes.map((f) => f.message).join(' ')} Pass a phase mapping (CLI: --phase-map SERIES_UID=percent,…; upload: the phase map field).`);

  const usable = read.series.filter((s) => s.loadable && s.grid);
  for (const s of read.series) {
    findings.push(...s.findings.map(rel));
    if (!usable.includes(s))
      findings.push({
        code: 'SERIES_NOT_IMPORTED',
        severity: 'error',
        message: relativeText(
          `Series ${s.seriesInstanceUid}${s.description ? ` ("${s.description}")` : ''} (${s.slices.length} slice(s), e.g. ${s.slices[0]?.file}) is not imported: ${errorsOf(s.findings).join(' ') || 'it has no valid grid'}`,
          root,
        ),
        ...(s.slices[0] ? { file: relative(s.slices[0].file) } : {}),
      });
  }
  if (usable.length === 0)
    fail(
      `No CT series in ${label} can be imported: ${read.series.map((s) => `${s.seriesInstanceUid}: ${errorsOf(s.findings).join(' ') || 'no valid grid'}`).join(' | ')}`,
    );
  const studies = [...new Set(usable.map((s) => s.studyInstanceUid ?? ''))];
  if (studies.length > 1)
    fail(`${label} holds ${studies.length} studies (StudyInstanceUID ${studies.map((u) => u || '(none)').join(', ')}); import each study from its own folder.`);

  // 4D CT phases: index by percent. Manual overrides skip lib/dicom's clash check, so check here.
  const phased = usable.filter((s) => s.phase).sort((a, b) => a.phase!.percent - b.phase!.percent);
  for (let n = 1; n < phased.length; n++)
    if (phased[n].phase!.percent === phased[n - 1].phase!.percent)
      fail(
        `Series ${phased[n - 1].seriesInstanceUid} and ${phased[n].seriesInstanceUid} are both mapped to the ${phased[n].phase!.percent}% phase; give each phase one series.`,
      );
  const series = usable.map((s) => ({ s, phaseIndex: s.phase ? phased.indexOf(s) : null }));
  const planning = series.filter((x) => x.phaseIndex === null);
  if (phased.length > 0 && planning.length > 0)
    findings.push({
      code: 'PHASE_UNKNOWN',
      severity: 'info',
      message: `${phased.length} series recognised as 4D CT phases (${phased.map((s) => `${s.phase!.percent}%`).join(', ')}); ${planning.map((x) => `"${x.s.description ?? x.s.seriesInstanceUid}"`).join(', ')} taken as planning CT. If one of those is a phase, map it by hand.`,
    });

  const structureSets: DicomScan['structureSets'] = [];
  for (const ss of read.structureSets) {
    findings.push(...ss.findings.map(rel));
    const found = findReferencedSeries(ss, read.series);
    findings.push(...found.findings.map(rel));
    if (!found.series) {
      findings.push({
        code: 'STRUCTURE_SET_SKIPPED',
        severity: 'error',
        message: `${relative(ss.file)}: its ${ss.rois.length} ROI(s) are not imported because the CT series it was drawn on is not in the import; import that series with it.`,
        file: relative(ss.file),
      });
      continue;
    }
    if (!usable.includes(found.series)) {
      findings.push({
        code: 'STRUCTURE_SET_SKIPPED',
        severity: 'error',
        message: `${relative(ss.file)}: its ${ss.rois.length} ROI(s) are not imported because their CT series ${found.series.seriesInstanceUid} could not be imported (see its findings).`,
        file: relative(ss.file),
      });
      continue;
    }
    structureSets.push({ ss, series: found.series });
  }

  options.onProgress?.({ stage: 'scanning', done: 0, total: 1, message: 'hashing files' });
  const used = [...usable.flatMap((s) => s.slices.map((h) => h.file)), ...structureSets.map((x) => x.ss.file)];
  const hashes: string[] = [];
  const fileHashes = new Map<string, string>();
  for (const f of used) {
    // readDicom hashed the bytes it parsed; a file it did not read (none today) is read here.
    const h = fileHashes.get(f) ?? read.fileSha256?.get(f) ?? (await sha256File(f));
    fileHashes.set(f, h);
    hashes.push(h);
  }
  const dose = await scanStudyDose(files, new Set(used));
  hashes.push(...dose.files.map((d) => d.sha256));
  const contentHash = combineHashes(hashes);
  options.onProgress?.({ stage: 'scanning', done: 1, total: 1 });
  return {
    studyInstanceUid: studies[0] || derivedStudyUid(contentHash),
    contentHash,
    fileCount: new Set(hashes).size,
    read,
    series,
    structureSets,
    findings,
    root,
    dose,
    fileHashes,
  };
}

/** CT series decoded and stored at once: enough to keep 2 cores busy, few enough to bound memory. */
const LOAD_CONCURRENCY = Math.min(4, availableParallelism() + 1);

/**
 * `fn` over `items` with at most `limit` running at once; results in input order. The first
 * failure rejects, and no further item is started.
 */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** A UID under 2.25 from a content hash, for inputs without a StudyInstanceUID. */
export function derivedStudyUid(contentHash: string): string {
  return `2.25.${BigInt(`0x${contentHash.slice(0, 30)}`).toString(10)}`;
}

/**
 * Decode, rasterise, classify and store. Files put in the volume store before a later failure
 * stay there: they are content-addressed and unreferenced, so harmless (a sweep may remove
 * files no row references).
 */
export async function materialiseDicomStudy(
  scan: DicomScan,
  store: VolumeStore,
  onProgress?: (p: ImportProgress) => void,
  /** The site's structure rules (tried before the built-in ones); null: built-in rules only. */
  siteRules?: SiteRuleSet | null,
  /** Volumes prepared ahead (a received study); a series without one is decoded here. */
  preparedVolumes?: PreparedVolumeLookup,
): Promise<PreparedStudy> {
  const { root } = scan;
  const findings = [...scan.findings];
  let n = 0;
  let prepared = 0;
  // Several series at once: one decodes on this thread while others compress on libuv's thread
  // pool (putNiftiVolume); bounded, as each holds its volume (50 MiB for 512×512×100) until stored.
  // The structures are rasterised meanwhile (they need only the series' grids), so this thread
  // rasterises while the pool compresses the CT (the import's stages overlap).
  const loading = mapBounded(scan.series, LOAD_CONCURRENCY, async ({ s, phaseIndex }): Promise<PreparedSeries> => {
    onProgress?.({ stage: 'loading', done: n, total: scan.series.length, message: `CT ${s.description ?? s.seriesInstanceUid}` });
    const sliceHashes = s.slices.map((h) => scan.fileHashes.get(h.file));
    const ready = preparedVolumes && sliceHashes.every((h) => h !== undefined) ? await preparedVolumes(seriesVolumeHash(sliceHashes as string[])) : null;
    let stored: StoredVolume;
    if (ready) {
      stored = ready;
      prepared++;
    } else {
      let volume;
      try {
        volume = await loadCtVolume(s);
      } catch (e) {
        if (e instanceof DicomError) throw new AppError('INVALID_INPUT', relativeText(e.message, root), { findings });
        throw e;
      }
      stored = await putNiftiVolume(store, volume, { intent: 'image' });
    }
    n++;
    return {
      key: s.key,
      seriesInstanceUid: s.key,
      frameOfReferenceUid: s.frameOfReferenceUid ?? null,
      modality: s.modality || 'CT',
      description: s.description ?? null,
      phaseIndex,
      phasePercent: s.phase?.percent ?? null,
      grid: s.grid!,
      volumeKey: stored.key,
      volumeSha256: stored.sha256,
      volumeContentSha256: stored.contentSha256,
      // loadCtVolume writes slice k of the volume from s.slices[k] (sorted along the normal).
      sliceSopInstanceUids: s.slices.map((h) => h.sopInstanceUid),
      sopClassUid: s.slices[0]?.sopClassUid ?? null,
    };
  }).then((loaded) => {
    onProgress?.({
      stage: 'loading',
      done: n,
      total: scan.series.length,
      ...(preparedVolumes ? { message: `${prepared} of ${scan.series.length} CT volume(s) prepared before the import` } : {}),
    });
    return loaded;
  });
  const phaseIndexOfPercent = new Map(scan.series.filter((x) => x.s.phase).map((x) => [x.s.phase!.percent, x.phaseIndex!]));
  const rasterising = prepareStructures(
    scan.structureSets.map(({ ss, series: ct }) => ({
      ss,
      seriesKey: ct.key,
      seriesLabel: ct.seriesInstanceUid,
      target: seriesRasterTarget(ct)!,
      phasePercent: ct.phase?.percent ?? null,
    })),
    {
      phaseIndexOfPercent,
      store,
      root,
      findings,
      onProgress,
      siteRules,
      referringPhysician: scan.series[0].s.slices[0].referringPhysicianName?.trim() || null,
    },
  );
  const [series, structures] = await Promise.all([loading, rasterising]);

  const dose = await materialiseStudyDose(scan.dose, { series, store, root, findings });

  const first = scan.series[0].s.slices[0];
  const extra = await readStudyAttributes(first.file);
  return {
    source: 'DICOM',
    studyInstanceUid: scan.studyInstanceUid,
    contentHash: scan.contentHash,
    fileCount: scan.fileCount,
    patient: {
      patientId: first.patientId?.trim() || null,
      name: first.patientName?.trim() || null,
      birthDate: parseDa(first.patientBirthDate),
      institutionName: extra.institutionName,
    },
    studyDate: parseDa(first.studyDate),
    description: extra.studyDescription,
    physician: first.referringPhysicianName?.trim() || null,
    scanner: [extra.manufacturer, extra.model].filter(Boolean).join(' ') || null,
    series,
    structures,
    findings,
    ...(dose.doseGrids.length || dose.plans.length ? dose : {}),
  };
}

/** Masks compressed and stored at once while the next ROIs are rasterised (each holds its mask, 46 MiB for 512×512×177). */
const MASKS_IN_FLIGHT = 3;

/** One structure set and the CT grid its ROIs are rasterised on. */
export interface StructureSetTarget {
  ss: RtStructureSet;
  /** PreparedSeries.key (or, for a stored series, its seriesInstanceUid). */
  seriesKey: string;
  /** How messages name the series. */
  seriesLabel: string;
  target: { grid: Grid; sliceSopInstanceUids?: readonly string[]; sliceToleranceMm?: number };
  /** The CT's respiratory phase, or null (planning CT). */
  phasePercent: number | null;
}

/**
 * Rasterise every ROI of the structure sets on its CT grid, classify it (GTV/ITV/OTHER, phase; the
 * site's structure rules first),
 * and put the masks in the volume store. Appends findings to `ctx.findings`.
 */
export async function prepareStructures(
  sets: StructureSetTarget[],
  ctx: {
    phaseIndexOfPercent: Map<number, number>;
    store: VolumeStore;
    root: string;
    findings: ImportFinding[];
    onProgress?: (p: ImportProgress) => void;
    siteRules?: SiteRuleSet | null;
    /** The study's ReferringPhysicianName: picks the reference observer among several (lib/server/observers). */
    referringPhysician?: string | null;
  },
): Promise<PreparedStructure[]> {
  const { phaseIndexOfPercent, store, root, findings, onProgress, siteRules } = ctx;
  // Who drew what (lib/server/observers/identify-observers.ts): the sets' OperatorsName, an ROI name's suffix.
  const setObservers = sets.map((x) => structureSetObserver(x.ss.operatorsName));
  const referenceObserver = chooseReferenceObserver(
    setObservers.filter((o, n) => sets[n]!.ss.rois.some((r) => classifyStructure(r.name.trim(), siteRules).kind !== 'OTHER')),
    ctx.referringPhysician ?? null,
  );
  const relative = (p: string) => relativePath(root, p);
  const structures: PreparedStructure[] = [];
  const namesOnSeries = new Map<string, Set<string>>();
  const totalRois = sets.reduce((t, x) => t + x.ss.rois.length, 0);
  let done = 0;
  const storingMasks: Promise<void>[] = [];
  for (const [setIndex, { ss, seriesKey, seriesLabel, target, phasePercent: ctPercent }] of sets.entries()) {
    for (const roi of ss.rois) {
      while (storingMasks.length >= MASKS_IN_FLIGHT) await storingMasks.shift();
      onProgress?.({ stage: 'rasterising', done: done++, total: totalRois, message: roi.name });
      if (roi.contours.length === 0) continue; // readRtStruct reported ROI_WITHOUT_CONTOURS
      const r = rasterizeRoi({ structureSet: ss, roi: roi.number, ...target });
      findings.push(
        ...r.findings.map((f) => ({
          code: f.code,
          severity: f.severity,
          message: relativeText(f.message, root),
          ...(f.file ? { file: relative(f.file) } : {}),
        })),
      );
      if (!r.mask) continue;
      let name = roi.name.trim() || `ROI ${roi.number}`;
      const names = namesOnSeries.get(seriesKey) ?? new Set<string>();
      namesOnSeries.set(seriesKey, names);
      if (names.has(name)) {
        let k = 2;
        while (names.has(`${name} (${k})`)) k++;
        const otherObserver = setObservers[setIndex] !== referenceObserver;
        findings.push({
          code: 'DUPLICATE_ROI_NAME',
          severity: otherObserver ? 'info' : 'warning',
          message: otherObserver
            ? `ROI ${roi.number} "${name}" in ${relative(ss.file)} is another observer's (the structure set's OperatorsName differs from the reference observer's); stored as "${name} (${k})" with its observer (docs/observers.md).`
            : `ROI ${roi.number} "${name}" in ${relative(ss.file)}: another structure set on the same CT already has an ROI of that name; stored as "${name} (${k})". Check which is the reference contour.`,
          file: relative(ss.file),
        });
        name = `${name} (${k})`;
      }
      names.add(name);
      const suffix = observerSuffix(name, (n) => classifyStructure(n, siteRules).kind);
      const cls = classifyStructure(suffix?.base ?? name, siteRules);
      const observer = suffix?.observer ?? setObservers[setIndex] ?? null;
      const isReference = suffix === null && setObservers[setIndex] === referenceObserver;
      let phasePercent = ctPercent ?? cls.phasePercent;
      if (ctPercent !== null && cls.phasePercent !== null && cls.phasePercent !== ctPercent) {
        findings.push({
          code: 'PHASE_NAME_MISMATCH',
          severity: 'warning',
          message: `ROI "${name}" (${relative(ss.file)}) names the ${cls.phasePercent}% phase but is drawn on the ${ctPercent}% phase CT; the CT's phase is used.`,
          file: relative(ss.file),
        });
        phasePercent = ctPercent;
      }
      const voxelCount = r.voxelCount;
      if (voxelCount === 0)
        findings.push({
          code: 'EMPTY_STRUCTURE',
          severity: 'warning',
          message: `ROI "${name}" (${relative(ss.file)}) has no voxel inside the CT grid of series ${seriesLabel}; it is stored empty. Check the findings above for skipped contours.`,
          file: relative(ss.file),
        });
      // Stored on the thread pool while the next ROIs are rasterised; the key fields are filled in
      // when it is done (awaited before this returns, at most MASKS_IN_FLIGHT at a time).
      const structure: PreparedStructure = {
        seriesKey,
        roiNumber: roi.number,
        name,
        kind: cls.kind,
        // The ITV spans all phases: no phase index. Other structures belong to their phase.
        phaseIndex: cls.kind === 'ITV' ? null : phasePercent !== null ? (phaseIndexOfPercent.get(phasePercent) ?? null) : null,
        phasePercent: cls.kind === 'ITV' ? null : phasePercent,
        interpretedType: roi.interpretedType ?? null,
        maskKey: '',
        maskSha256: '',
        maskContentSha256: '',
        voxelCount,
        volumeCc: voxelCount * voxelVolumeCc(r.mask.grid),
        observer,
        referenceObserver: isReference,
      };
      structures.push(structure);
      const storing = putNiftiVolume(store, r.mask, { intent: 'mask' }).then((stored) => {
        structure.maskKey = stored.key;
        structure.maskSha256 = stored.sha256;
        structure.maskContentSha256 = stored.contentSha256;
      });
      // A failure is thrown where it is awaited below, not reported as unhandled meanwhile.
      storing.catch(() => undefined);
      storingMasks.push(storing);
    }
  }
  for (const storing of storingMasks.splice(0)) await storing;
  onProgress?.({ stage: 'rasterising', done: totalRois, total: totalRois });
  return structures;
}

/** Attributes lib/dicom's slice header does not keep: InstitutionName, StudyDescription, scanner. */
async function readStudyAttributes(file: string) {
  const { parsed } = parseDicomBytes(new Uint8Array(await readFile(file)), file);
  const ds = parsed?.dataSet;
  const get = (tag: string) => (ds ? str(ds, tag)?.trim() || null : null);
  return {
    institutionName: get('x00080080'),
    studyDescription: get('x00081030'),
    manufacturer: get('x00080070'),
    model: get('x00081090'),
  };
}
