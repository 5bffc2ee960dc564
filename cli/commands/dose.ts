/**
 * `iseg-qa dose dvh --ct DIR --rtstruct FILE --rtdose FILE [--rtplan FILE] [--roi NAME …]
 *   [--prescription-gy N] [--convention iseg|plastimatch|dicompyler|dose-grid] [--bin-gy W] [--json]`
 * Per structure: volume, Dmin, Dmean, Dmax, D98, D95, D50, D2, V95 %, V100 % of the prescription
 * and the cumulative DVH. JSON fields and conventions: docs/cli.md, docs/dose.md.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { computeStructureDvhs, type StructureDvhResult } from '@/lib/dicom';
import { DOSE_CONVENTIONS, type DoseConvention } from '@/lib/core/dose';
import { describeGrid } from '@/lib/core/volume';
import { fail, printJson } from '../output';

const USAGE = `Usage: iseg-qa dose dvh --ct DIR --rtstruct FILE --rtdose FILE [--rtplan FILE] [--roi NAME …]
                        [--prescription-gy N] [--convention iseg|plastimatch|dicompyler|dose-grid] [--bin-gy 0.01] [--json]
  --roi NAME          a structure (repeat for several); default every ROI with closed contours
  --prescription-gy N the prescription for V95 %/V100 % (overrides the plan's TargetPrescriptionDose)
  --convention        iseg (default: trilinear dose at the structure's CT voxel centres, exact statistics),
                      plastimatch (the same samples, plastimatch dvh's rounding to --bin-gy bins),
                      dose-grid (dose voxels whose centre is in the structure, no interpolation),
                      dicompyler (dose pixels inside the contours per contour plane); see docs/dose.md`;

const r = (v: number | null, d = 4) => (v === null ? null : Number(v.toFixed(d)));

/** The JSON document (docs/cli.md): rounded, Gy-suffixed field names. */
export function dvhJson(res: StructureDvhResult) {
  return {
    convention: res.convention,
    doseUnits: res.dose.units,
    prescriptionGy: res.prescriptionGy,
    prescriptionSource: res.prescriptionSource,
    ct: {
      seriesInstanceUid: res.ct.seriesInstanceUid,
      frameOfReferenceUid: res.ct.frameOfReferenceUid,
      dims: res.ct.grid.dims,
      spacingMm: res.ct.grid.spacingMm.map((v) => r(v, 6)),
    },
    dose: {
      file: res.dose.file,
      doseType: res.dose.doseType,
      summationType: res.dose.summationType,
      frameOfReferenceUid: res.dose.frameOfReferenceUid,
      dims: res.dose.grid.dims,
      spacingMm: res.dose.grid.spacingMm.map((v) => r(v, 6)),
      originMm: res.dose.grid.originMm.map((v) => r(v, 6)),
      maxGy: r(res.dose.maxDose),
    },
    plan: res.plan,
    structures: res.structures.map((s) => ({
      roiNumber: s.roi.number,
      roiName: s.roi.name,
      interpretedType: s.roi.interpretedType,
      voxels: s.voxels,
      volumeCc: r(s.volumeCc),
      outsideDoseGridCc: r(s.outsideVolumeCc),
      dminGy: r(s.dmin),
      dmeanGy: r(s.dmean),
      dmaxGy: r(s.dmax),
      d98Gy: r(s.d98),
      d95Gy: r(s.d95),
      d50Gy: r(s.d50),
      d2Gy: r(s.d2),
      v95Percent: r(s.v95Percent),
      v100Percent: r(s.v100Percent),
      dvh: {
        binWidthGy: s.dvh.binWidth,
        doseGy: s.dvh.dose,
        volumeCc: s.dvh.volumeCc.map((v) => r(v, 6)),
        volumePercent: s.dvh.volumePercent.map((v) => r(v, 6)),
      },
    })),
    findings: res.findings,
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ct: { type: 'string' },
      rtstruct: { type: 'string' },
      rtdose: { type: 'string' },
      rtplan: { type: 'string' },
      roi: { type: 'string', multiple: true },
      'prescription-gy': { type: 'string' },
      convention: { type: 'string' },
      'bin-gy': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'dvh') fail(`${sub ? `Unknown dose subcommand "${sub}"` : 'Missing subcommand'}.\n${USAGE}`);
  if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(' ')}. ${USAGE.split('\n')[0]}`);
  for (const k of ['ct', 'rtstruct', 'rtdose'] as const) {
    const v = values[k];
    if (!v) fail(`dose dvh needs --${k}; see --help.`);
    if (!existsSync(v)) fail(`--${k} ${v} does not exist: check the path.`);
  }
  if (values.rtplan && !existsSync(values.rtplan)) fail(`--rtplan ${values.rtplan} does not exist: check the path.`);
  const convention = (values.convention ?? 'iseg') as DoseConvention;
  if (!(DOSE_CONVENTIONS as readonly string[]).includes(convention)) fail(`--convention "${values.convention}" is not one of ${DOSE_CONVENTIONS.join(', ')}.`);
  let prescriptionGy: number | undefined;
  if (values['prescription-gy'] !== undefined) {
    prescriptionGy = Number(values['prescription-gy']);
    if (!(prescriptionGy > 0) || !Number.isFinite(prescriptionGy)) fail(`--prescription-gy "${values['prescription-gy']}" is not a positive dose in Gy.`);
  }
  let binWidthGy: number | undefined;
  if (values['bin-gy'] !== undefined) {
    binWidthGy = Number(values['bin-gy']);
    if (!(binWidthGy > 0) || !Number.isFinite(binWidthGy)) fail(`--bin-gy "${values['bin-gy']}" is not a positive dose in Gy.`);
  }
  let res: StructureDvhResult;
  try {
    res = await computeStructureDvhs({
      ct: values.ct!,
      rtstructFile: values.rtstruct!,
      rtdoseFile: values.rtdose!,
      rtplanFile: values.rtplan,
      rois: values.roi,
      prescriptionGy,
      convention,
      binWidthGy,
    });
  } catch (e) {
    if (e instanceof Error && (e.name === 'DicomError' || e.name === 'DoseError')) fail(e.message);
    throw e;
  }
  if (values.json) {
    printJson(dvhJson(res));
    return 0;
  }
  const f = (v: number | null, d = 2) => (v === null ? '—' : v.toFixed(d));
  const unit = res.dose.units === 'GY' ? 'Gy' : res.dose.units.toLowerCase();
  const lines = [
    `dose ${res.dose.file} (${res.dose.units}, ${res.dose.summationType ?? '?'}) on ${describeGrid(res.dose.grid)}; CT ${describeGrid(res.ct.grid)}; convention ${res.convention}`,
    `prescription: ${res.prescriptionGy === null ? 'none (V95/V100 need --prescription-gy or --rtplan)' : `${res.prescriptionGy} ${unit} (${res.prescriptionSource})`}`,
    ['structure'.padEnd(20), 'cc'.padStart(9), 'Dmin', 'Dmean', 'Dmax', 'D98', 'D95', 'D50', 'D2'].map((h, n) => (n > 1 ? h.padStart(7) : h)).join(' ') +
      '   V95%   V100%',
  ];
  for (const s of res.structures)
    lines.push(
      [
        s.roi.name.slice(0, 20).padEnd(20),
        f(s.volumeCc, 2).padStart(9),
        ...[s.dmin, s.dmean, s.dmax, s.d98, s.d95, s.d50, s.d2].map((v) => f(v).padStart(7)),
        f(s.v95Percent, 1).padStart(6),
        f(s.v100Percent, 1).padStart(7),
      ].join(' '),
    );
  console.log(lines.join('\n'));
  for (const x of res.findings) console.error(`  ${x.severity}: ${x.message}`);
  return 0;
}
