/**
 * The stored form of a kept cohort (CohortSnapshot.data; read-cohort-snapshot.ts,
 * write-cohort-snapshot.ts), laid out so that a new process reads it in a fraction of a second
 * at 50,000 studies: the rows as gzipped JSON columns (one array per field, as the cohort query
 * returns them), and the numbers as raw little-endian float64 blocks that become typed arrays
 * without parsing: each study's phase values (with offsets) and the pooled phase values already
 * sorted (lib/core/stats/phase-pool.ts), so nothing is sorted again.
 *
 *   "ISEGCOH2" | u32 header bytes | gzip(header JSON) | padding to 8 | Float64 blocks | Int32 offsets
 *
 * Every value in a row came from JSON (the query's result) or is a string, boolean or null, so
 * JSON gives back the same rows; the float64 blocks keep every bit. Pure apart from zlib.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CohortCase } from '../../core/stats/cohort-stats';
import type { PhasePool, StudyPhases } from '../../core/stats/phase-pool';

const MAGIC = 'ISEGCOH2';
const METRICS = ['dice', 'hd95Mm', 'fpCc'] as const;

/** The CohortCase fields, in the order they are stored. */
const CASE_FIELDS = [
  'studyId',
  'pseudonym',
  'institution',
  'studyDate',
  'dateShifted',
  'physician',
  'scanner',
  'model',
  'latestRunStatus',
  'latestRunError',
  'hasSummary',
  'gtvMedianDice',
  'gtvMedianHd95Mm',
  'itvDice',
  'itvHd95Mm',
  'itvFpCc',
  'itvMachineCc',
  'itvPhysicianCc',
  'motionMm',
  'flags',
  'gtvMinDice',
  'itvLargestFpRegionCc',
  'itvMaxFpDistanceMm',
  'hasDose',
  'fpDoseCc',
  'fpBelow95PctRxCc',
] as const satisfies readonly (keyof CohortCase)[];
type Columns = { [K in (typeof CASE_FIELDS)[number]]: CohortCase[K][] };

export interface CohortSnapshotContent {
  datesShifted: boolean;
  cases: CohortCase[];
  phases: StudyPhases[];
  pool: PhasePool;
}

interface Header {
  datesShifted: boolean;
  cases: Columns;
  anyDice: boolean[];
  poolStudies: number;
  /** Values per metric: the studies' phase values, then the pool. */
  lengths: Record<(typeof METRICS)[number], number>;
}

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export async function encodeCohortSnapshot(content: CohortSnapshotContent): Promise<Buffer> {
  const { cases, phases, pool } = content;
  const columns = Object.fromEntries(CASE_FIELDS.map((f) => [f, cases.map((c) => c[f] ?? null)])) as Columns;
  const lengths = { dice: 0, hd95Mm: 0, fpCc: 0 };
  for (const p of phases) for (const m of METRICS) lengths[m] += p[m].length;
  const header: Header = { datesShifted: content.datesShifted, cases: columns, anyDice: phases.map((p) => p.anyDice), poolStudies: pool.studies, lengths };
  // gzip runs on libuv's thread pool, not on the thread that serves pages.
  const zipped = await gzip(JSON.stringify(header), { level: 1 });
  const start = Math.ceil((MAGIC.length + 4 + zipped.length) / 8) * 8;
  const floats = METRICS.reduce((n, m) => n + lengths[m] + pool[m].length, 0);
  const out = Buffer.alloc(start + floats * 8 + METRICS.length * (phases.length + 1) * 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(zipped.length, MAGIC.length);
  zipped.copy(out, MAGIC.length + 4);
  const values = new Float64Array(out.buffer, out.byteOffset + start, floats);
  const offsets = new Int32Array(out.buffer, out.byteOffset + start + floats * 8, METRICS.length * (phases.length + 1));
  let k = 0;
  let o = 0;
  for (const m of METRICS) {
    for (const p of phases) {
      offsets[o++] = k;
      values.set(p[m], k);
      k += p[m].length;
    }
    offsets[o++] = k;
    values.set(pool[m], k);
    k += pool[m].length;
  }
  return out;
}

/** @throws Error when the data is not a snapshot of this format (a truncated or foreign value). */
export async function decodeCohortSnapshot(data: Buffer): Promise<CohortSnapshotContent> {
  if (data.length < MAGIC.length + 4 || data.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error(`cohort snapshot: not a ${MAGIC} snapshot`);
  const zippedLength = data.readUInt32LE(MAGIC.length);
  const header = JSON.parse((await gunzip(data.subarray(MAGIC.length + 4, MAGIC.length + 4 + zippedLength))).toString('utf8')) as Header;
  const col = header.cases;
  const n = col.studyId.length;
  const start = Math.ceil((MAGIC.length + 4 + zippedLength) / 8) * 8;
  const floats = METRICS.reduce((s, m) => s + header.lengths[m], 0);
  const poolLength = (data.length - start - floats * 8 - METRICS.length * (n + 1) * 4) / 8;
  if (!Number.isInteger(poolLength) || poolLength < 0) throw new Error('cohort snapshot: the value blocks do not match the header');
  // A copy: aligned, and not a view into the driver's buffer.
  const bytes = new Uint8Array(data.length - start);
  bytes.set(data.subarray(start));
  const values = new Float64Array(bytes.buffer, 0, floats + poolLength);
  const offsets = new Int32Array(bytes.buffer, (floats + poolLength) * 8, METRICS.length * (n + 1));
  const perStudy: Record<string, Float64Array[]> = {};
  const pool: Partial<Record<(typeof METRICS)[number], Float64Array>> = {};
  let o = 0;
  for (const m of METRICS) {
    // Views into the block, not copies (150,000 small arrays at 50,000 studies).
    const lists: Float64Array[] = new Array(n);
    for (let i = 0; i < n; i++) lists[i] = values.subarray(offsets[o + i]!, offsets[o + i + 1]!);
    perStudy[m] = lists;
    const end = m === 'fpCc' ? values.length : offsets[o + n + 1]!;
    pool[m] = values.slice(offsets[o + n]!, end);
    o += n + 1;
  }
  const cases: CohortCase[] = new Array(n);
  for (let i = 0; i < n; i++) {
    cases[i] = {
      studyId: col.studyId[i]!,
      pseudonym: col.pseudonym[i]!,
      institution: col.institution[i]!,
      studyDate: col.studyDate[i]!,
      dateShifted: col.dateShifted[i]!,
      physician: col.physician[i]!,
      scanner: col.scanner[i]!,
      model: col.model[i]!,
      latestRunStatus: col.latestRunStatus[i]!,
      latestRunError: col.latestRunError[i]!,
      hasSummary: col.hasSummary[i]!,
      gtvMedianDice: col.gtvMedianDice[i]!,
      gtvMedianHd95Mm: col.gtvMedianHd95Mm[i]!,
      itvDice: col.itvDice[i]!,
      itvHd95Mm: col.itvHd95Mm[i]!,
      itvFpCc: col.itvFpCc[i]!,
      itvMachineCc: col.itvMachineCc[i]!,
      itvPhysicianCc: col.itvPhysicianCc[i]!,
      motionMm: col.motionMm[i]!,
      flags: col.flags[i]!,
      gtvMinDice: col.gtvMinDice[i]!,
      itvLargestFpRegionCc: col.itvLargestFpRegionCc[i]!,
      itvMaxFpDistanceMm: col.itvMaxFpDistanceMm[i]!,
      hasDose: col.hasDose[i]!,
      fpDoseCc: col.fpDoseCc[i]!,
      fpBelow95PctRxCc: col.fpBelow95PctRxCc[i]!,
    };
  }
  const phases: StudyPhases[] = new Array(n);
  for (let i = 0; i < n; i++) phases[i] = { anyDice: header.anyDice[i]!, dice: perStudy.dice![i]!, hd95Mm: perStudy.hd95Mm![i]!, fpCc: perStudy.fpCc![i]! };
  return { datesShifted: header.datesShifted, cases, phases, pool: { studies: header.poolStudies, dice: pool.dice!, hd95Mm: pool.hd95Mm!, fpCc: pool.fpCc! } };
}
