/**
 * iseg-qa segment --ct DIR|CT.nii.gz --out MASK.nii.gz [--model NAME | --model-dir DIR]
 *                 [--series UID] [--provider cpu|cuda|webgpu] [--threads N] [--json]
 *
 * Runs a segmentation model on one CT outside the database (docs/cli.md):
 * read the CT (NIfTI file, or a DICOM folder through lib/dicom), segmentVolume (resample →
 * normalise → sliding-window ONNX → back to the native grid → threshold → post-process), and
 * write the mask as a uint8 NIfTI on the CT's grid.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Volume, VoxelArray } from '@/lib/core/volume';
import { describeGrid } from '@/lib/core/volume';
import { InferenceError } from '@/lib/core/inference/errors';
import { EXECUTION_PROVIDERS, type ExecutionProvider, loadModel, segmentVolume } from '@/lib/inference';
import { NiftiError, readNifti, writeNifti } from '@/lib/nifti';
import { fail, printJson } from '../output';

const USAGE = `Usage:
  iseg-qa segment --ct DIR|CT.nii.gz --out MASK.nii.gz [--model NAME | --model-dir DIR]
                  [--series UID] [--provider cpu|cuda|webgpu] [--threads N] [--json]

  --ct         a NIfTI image in HU (.nii, .nii.gz) or a folder of DICOM CT files
  --out        the mask to write (.nii or .nii.gz), on the CT's grid
  --model      a folder name under ISEG_MODELS_DIR, else models/ (default: ISEG_MODEL, else "demo")
  --model-dir  a model folder anywhere (manifest.json + the ONNX file); overrides --model
  --series     with a DICOM folder holding several series (e.g. 4D CT phases), the one to segment
  --provider   onnxruntime execution provider (default: ISEG_EXECUTION_PROVIDER, else cpu)
  --threads    onnxruntime intra-op threads (default: all cores)`;

const MODELS_ROOT = fileURLToPath(new URL('../../models/', import.meta.url));
const MODEL_NAME = /^[A-Za-z0-9._-]+$/;
const round = (v: number, d = 3) => Number(v.toFixed(d));

interface LoadedCt {
  volume: Volume<VoxelArray>;
  kind: 'nifti' | 'dicom';
  seriesUid?: string;
}

async function readCt(ctPath: string, seriesUid: string | undefined): Promise<LoadedCt> {
  if (!existsSync(ctPath)) fail(`--ct ${ctPath} does not exist: pass a NIfTI file (.nii, .nii.gz) or a folder of DICOM files.`);
  if (!statSync(ctPath).isDirectory()) {
    if (!/\.nii(\.gz)?$/i.test(ctPath)) fail(`--ct ${ctPath} is neither a .nii/.nii.gz file nor a folder of DICOM files.`);
    if (seriesUid) fail('--series applies to a DICOM folder, not to a NIfTI file.');
    const v = readNifti(ctPath);
    if (v.nifti.intentCode === 1002 || v.data instanceof Uint8Array)
      console.error(`iseg-qa segment: warning: ${ctPath} looks like a mask (uint8 or label intent), not a CT in HU.`);
    return { volume: { grid: v.grid, data: v.data }, kind: 'nifti' };
  }
  // lib/dicom is loaded only for folders, so NIfTI input does not need it.
  const dicom = await import('@/lib/dicom');
  const imp = await dicom.readDicom(ctPath);
  const loadable = imp.series.filter((s) => s.loadable && s.grid);
  const describe = (s: (typeof loadable)[number]) =>
    `${s.seriesInstanceUid}${s.phase ? ` (phase ${s.phase.percent}%)` : ''}${s.description ? ` "${s.description}"` : ''}`;
  let series = loadable[0];
  if (seriesUid) {
    const found = imp.series.find((s) => s.seriesInstanceUid === seriesUid || s.key === seriesUid);
    if (!found) fail(`No series ${seriesUid} in ${ctPath}; found: ${imp.series.map((s) => s.seriesInstanceUid).join(', ') || 'none'}.`);
    if (!found.loadable || !found.grid)
      fail(
        `Series ${seriesUid} in ${ctPath} cannot be loaded: ${
          found.findings
            .filter((f) => f.severity === 'error')
            .map((f) => f.message)
            .join(' ') || 'no regular grid'
        }`,
      );
    series = found;
  } else if (loadable.length === 0) {
    const why = imp.series.flatMap((s) => s.findings.filter((f) => f.severity === 'error').map((f) => f.message));
    fail(`No loadable CT series in ${ctPath}${why.length ? `: ${why[0]}` : ' (no CT images found)'}. Run \`iseg-qa dicom inspect ${ctPath}\` for details.`);
  } else if (loadable.length > 1) {
    fail(`${ctPath} holds ${loadable.length} CT series; choose one with --series: ${loadable.map(describe).join('; ')}.`);
  }
  const volume = await dicom.loadCtVolume(series);
  return { volume, kind: 'dicom', seriesUid: series.seriesInstanceUid };
}

async function defaults(): Promise<{ model: string; provider: ExecutionProvider }> {
  // The validated process configuration (a bad ISEG_* value stops here, naming the variable).
  const { env } = await import('@/lib/server/env');
  const e = env();
  return { model: e.ISEG_MODEL, provider: e.ISEG_EXECUTION_PROVIDER };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ct: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      'model-dir': { type: 'string' },
      series: { type: 'string' },
      provider: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) fail(`Unexpected arguments: ${positionals.join(' ')}. ${USAGE.split('\n')[1].trim()}`);
  if (!values.ct) fail(`segment needs --ct DIR|CT.nii.gz.\n${USAGE}`);
  if (!values.out) fail('segment needs --out MASK.nii.gz.');
  if (!/\.nii(\.gz)?$/i.test(values.out)) fail(`--out ${values.out} must end in .nii or .nii.gz.`);
  if (!existsSync(path.dirname(path.resolve(values.out)))) fail(`--out ${values.out}: folder ${path.dirname(path.resolve(values.out))} does not exist.`);

  const needDefaults = (!values['model-dir'] && !values.model) || !values.provider;
  const d = needDefaults ? await defaults() : { model: 'demo', provider: 'cpu' as ExecutionProvider };
  const provider = (values.provider ?? d.provider) as ExecutionProvider;
  if (!EXECUTION_PROVIDERS.includes(provider)) fail(`--provider ${values.provider} is not one of ${EXECUTION_PROVIDERS.join(', ')}.`);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1) fail(`--threads ${values.threads} must be a positive integer.`);
  }
  let modelDir: string;
  if (values['model-dir']) modelDir = path.resolve(values['model-dir']);
  else {
    const name = values.model ?? d.model;
    if (!MODEL_NAME.test(name)) fail(`--model ${name} must be a folder name under models/ (letters, digits, ".", "_", "-"); use --model-dir for a path.`);
    modelDir = path.join(process.env.ISEG_MODELS_DIR ? path.resolve(process.env.ISEG_MODELS_DIR) : MODELS_ROOT, name);
    if (!existsSync(modelDir)) fail(`No model "${name}": ${modelDir} does not exist. Pass --model NAME of a folder under models/ or --model-dir DIR.`);
  }

  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const t0 = performance.now();
    const ct = await readCt(values.ct, values.series);
    const t1 = performance.now();
    const model = await loadModel({ modelDir, provider, intraOpThreads: threads });
    const t2 = performance.now();
    const r = await segmentVolume({ volume: ct.volume, model, signal: ac.signal });
    const t3 = performance.now();
    writeNifti(values.out, r.mask, { intent: 'mask', description: `iseg-qa ${model.name} ${model.version}`.slice(0, 79) });
    const t4 = performance.now();
    const out = {
      ct: {
        path: values.ct,
        kind: ct.kind,
        seriesUid: ct.seriesUid ?? null,
        dims: ct.volume.grid.dims,
        spacingMm: ct.volume.grid.spacingMm.map((v) => round(v, 6)),
      },
      out: values.out,
      model: { ...r.model, dir: modelDir, intendedStructure: model.manifest.intendedStructure },
      voxels: r.voxelCount,
      volumeCc: round(r.volumeCc, 4),
      modelGrid: { dims: r.modelGrid.dims, spacingMm: r.modelGrid.spacingMm },
      probability: {
        threshold: r.probability.threshold,
        maxOnModelGrid: round(r.probability.maxOnModelGrid, 6),
        meanInThresholdedMask: r.probability.meanInThresholdedMask === null ? null : round(r.probability.meanInThresholdedMask, 6),
        voxelsAtOrAboveThreshold: r.probability.voxelsAtOrAboveThreshold,
      },
      postprocess: r.postprocess,
      windows: r.windows,
      batches: r.batches,
      timingsMs: {
        readCt: round(t1 - t0, 1),
        loadModel: round(t2 - t1, 1),
        ...Object.fromEntries(Object.entries(r.timingsMs).map(([k, v]) => [k, round(v, 1)])),
        writeMask: round(t4 - t3, 1),
        wall: round(t4 - t0, 1),
      },
    };
    if (values.json) printJson(out);
    else
      console.log(
        `${model.name} ${model.version} (sha256 ${model.sha256.slice(0, 12)}…, ${provider}) on ${describeGrid(ct.volume.grid)}: ${r.voxelCount} voxels (${out.volumeCc} cc), ${r.postprocess.componentsKept} of ${r.postprocess.componentsFound} components kept, ${Math.round(t4 - t0)} ms → ${values.out}`,
      );
    return 0;
  } catch (e) {
    if (e instanceof InferenceError || e instanceof NiftiError || (e as { name?: string })?.name === 'DicomError') fail((e as Error).message);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
