'use client';
/**
 * The motion-resolved study viewer (issue #7 §2): axial, coronal and sagittal views of one 4D CT
 * phase with physician and machine GTV/ITV contours and FP/FN voxels, a phase scrubber with
 * play, lung and mediastinum windows, the discordant regions (click to jump), the metrics by
 * convention, per-phase charts, the run's live status and model, and the exports.
 *
 * For a projector (issue #16 item 5): zoom (Ctrl/⌘ + wheel, + / − buttons, reset) and pan (drag
 * in pan mode, or Shift / middle-button drag) per view; a large layout (one large view and two
 * small ones, click a small one to swap); full-screen presenter mode (Fullscreen API, Esc
 * leaves); keyboard shortcuts listed in the UI (SHORTCUTS); every physician structure with a
 * toggle; FP/FN drawn above the contour lines. With a dose grid (issue #15 item 3): a dose
 * colour-wash and isodose lines on every view, with a legend (lib/core/viewer/dose-slice.ts).
 *
 * Self-contained: give it a study id and it fetches everything from /api/studies/[id]/… (the
 * review meeting embeds it with size="large"). Volumes arrive as binary (Int16 HU, byte masks,
 * float32 dose fetched once); rendering is lib/core/viewer's renderSlice. docs/viewer.md.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { StudyView } from '@/lib/server/studies/get-study-view';
import type { StudyDoseSummary } from '@/lib/server/dose/get-study-dose';
import { ViewerIdentity } from './viewer-identity';
import type { StudyRunStatus } from '@/lib/server/studies/get-study-run-status';
import type { Grid, Vec3, Volume } from '@/lib/core/volume';
import {
  type Orientation,
  type OverlayLayer,
  type ViewTransform,
  type WindowPreset,
  IDENTITY_VIEW,
  SLICE_AXIS,
  WINDOW_PRESETS,
  ZOOM_STEP,
  buildWindowLut,
  doseDisplayLevels,
  maskCentroidMm,
  patientMmToCursor,
  superiorUp,
  zoomView,
  ORIENTATIONS,
} from '@/lib/core/viewer';
import { type LoadedVolume, ctUrl, doseUrl, loadVolume, maskUrl, sliceUrl } from './load-volume';
import { SliceCanvas, type SliceDose } from './slice-canvas';
import { DoseLegend } from './dose-legend';
import { ShortcutsList } from './shortcuts';
import styles from './viewer.module.css';
import { RunStatus } from './run-status';
import { DownloadLink } from '@/components/download-link';
import { MetricsPanel } from './metrics-panel';
import { ReferencePanel } from './reference-panel';
import { DiscordanceList, type RegionRef } from './discordance-list';
import { PhaseCharts } from './phase-charts';
import { DeidExportPanel } from './deid-export-panel';
import { OVERLAY_COLORS, type OverlayKey, hexToRgb } from './overlay-colors';

export interface StudyViewerProps {
  studyId: string;
  size?: 'normal' | 'large';
  /** False where the page's own heading names the study (the review presenter): no second name line. */
  showHeading?: boolean;
  /**
   * The first image the page put in its HTML (issue #19; lib/server/studies/get-study-first-image.ts):
   * the middle axial slice as a PNG (inline), shown before the viewer's data arrive, in place of the
   * slice this component would otherwise ask for after the study's JSON.
   */
  firstImage?: FirstImage | null;
}

export interface FirstImage {
  seriesId: string;
  index: number;
  nz: number;
  width: number;
  height: number;
  /** Width over height in millimetres. */
  aspect: number;
  /** The slice in the lung window inlined in the page (a PNG data: URI); null: ask the image route. */
  lungSrc?: string | null;
}

/**
 * The first image's URL: in the lung window the PNG the page inlined (no request), else
 * GET /api/studies/[id]/volume/image (a PNG in a viewer window).
 */
export function firstImageUrl(studyId: string, f: FirstImage, preset: WindowPreset): string {
  if (preset === 'lung' && f.lungSrc) return f.lungSrc;
  return `/api/studies/${encodeURIComponent(studyId)}/volume/image?series=${encodeURIComponent(f.seriesId)}&axial=${f.index}&window=${preset}`;
}

/**
 * The page's first image in the axial view's place: a plain <img>, so it is on screen as soon as
 * the HTML and the PNG are there, before any script runs. `boxPx` is the view's size once the
 * viewer has measured it; before that, CSS sizes it as a third of the width (at most 600 px).
 */
function FirstImageView({ studyId, image, preset, boxPx }: { studyId: string; image: FirstImage; preset: WindowPreset; boxPx: number | null }) {
  const fit = boxPx
    ? image.aspect >= 1
      ? { width: boxPx, height: Math.round(boxPx / image.aspect) }
      : { width: Math.round(boxPx * image.aspect), height: boxPx }
    : null;
  return (
    <figure className="viewer-view" data-testid="first-image">
      <figcaption className={styles.caption}>
        Axial{' '}
        <span className="muted">
          slice {image.index + 1} / {image.nz} · loading the volume…
        </span>
      </figcaption>
      <div className="viewer-canvas-wrap" style={fit ?? { width: 'min(600px, calc((100vw - 120px) / 3))', aspectRatio: String(image.aspect) }}>
        {/* A server-rendered PNG, inline in the HTML (or fetched before any script runs): issue #19. */}
        <img
          src={firstImageUrl(studyId, image, preset)}
          alt={`Axial slice ${image.index + 1} of ${image.nz}, loading the volume`}
          width={image.width}
          height={image.height}
          fetchPriority="high"
          style={{ width: '100%', height: '100%', display: 'block', imageRendering: 'pixelated' }}
        />
      </div>
    </figure>
  );
}

const OVERLAYS: { key: OverlayKey; label: string; style: 'outline' | 'fill' }[] = [
  { key: 'physicianGtv', label: 'Physician GTV', style: 'outline' },
  { key: 'machineGtv', label: 'Machine GTV', style: 'outline' },
  { key: 'physicianItv', label: 'Physician ITV', style: 'outline' },
  { key: 'machineItv', label: 'Machine ITV', style: 'outline' },
  { key: 'fp', label: 'FP voxels (machine ∖ physician)', style: 'fill' },
  { key: 'fn', label: 'FN voxels (physician ∖ machine)', style: 'fill' },
];
const DEFAULT_TOGGLES: Record<OverlayKey, boolean> = { physicianGtv: true, machineGtv: true, physicianItv: false, machineItv: false, fp: true, fn: true };
const PLAY_STEP_MS = 600;
/** Outline colours of the other physician structures (Paul Tol's muted scheme, apart from the overlay colours). */
const STRUCTURE_COLORS = ['#88CCEE', '#44AA99', '#DDCC77', '#CC6677', '#AA4499', '#117733', '#999933', '#882255', '#332288', '#DDDDDD'];
const ORIENTATION_KEYS: Record<string, Orientation> = { '1': 'axial', '2': 'coronal', '3': 'sagittal' };
const VIEWS_IDENTITY: Record<Orientation, ViewTransform> = { axial: IDENTITY_VIEW, coronal: IDENTITY_VIEW, sagittal: IDENTITY_VIEW };

type ViewerData = StudyView & { dose?: StudyDoseSummary | null };

/**
 * The views' box (its width, and its height: in full screen the space the toolbars leave) and the
 * window's height, followed on resize.
 */
function useBoxSize(el: HTMLElement | null): { width: number; height: number; viewsHeight: number } {
  const [size, setSize] = useState({ width: 0, height: 0, viewsHeight: 0 });
  useEffect(() => {
    const update = () => {
      const next = { width: el?.clientWidth ?? 0, height: window.innerHeight, viewsHeight: el?.clientHeight ?? 0 };
      setSize((s) => (s.width === next.width && s.height === next.height && s.viewsHeight === next.viewsHeight ? s : next));
    };
    update();
    const ro = el && typeof ResizeObserver !== 'undefined' ? new ResizeObserver(update) : null;
    if (ro && el) ro.observe(el);
    window.addEventListener('resize', update);
    return () => {
      ro?.disconnect();
      window.removeEventListener('resize', update);
    };
  }, [el]);
  return size;
}

/** Width over height of a view's slice in millimetres (the canvas keeps it: square pixels). */
function physicalAspect(grid: Grid, o: Orientation): number {
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  return o === 'axial' ? (nx * sx) / (ny * sy) : o === 'coronal' ? (nx * sx) / (nz * sz) : (ny * sy) / (nz * sz);
}

/** A view's frame around its canvas (components/viewer/slice-canvas.tsx, app/globals.css .viewer-view): padding and caption, px. */
const FRAME_W = 14;
const FRAME_H = 44;
/** The gap between views (.viewer-views, .focus), px. */
const VIEW_GAP = 12;

const NO_LAYERS: OverlayLayer[] = [];
const noop = () => {};

interface Displayed {
  phasePos: number;
  ct: LoadedVolume;
  masks: Record<string, LoadedVolume>;
}

export function StudyViewer({ studyId, size = 'normal', showHeading = true, firstImage = null }: StudyViewerProps) {
  const [view, setView] = useState<ViewerData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [phasePos, setPhasePos] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [preset, setPreset] = useState<WindowPreset>('lung');
  const [cursor, setCursor] = useState<Vec3 | null>(null);
  const [toggles, setToggles] = useState(DEFAULT_TOGGLES);
  const [compare, setCompare] = useState<'GTV' | 'ITV'>('GTV');
  const [selected, setSelected] = useState<RegionRef | null>(null);
  const [displayed, setDisplayed] = useState<Displayed | null>(null);
  // The first image (issue #19): the middle axial slice alone, shown until the volume is there.
  const [preview, setPreview] = useState<{ index: number; ct: LoadedVolume } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const centred = useRef(false);
  // Projector viewer state: per-view zoom/pan, layout, large view, drag mode, full screen, shortcuts list.
  const [views, setViews] = useState<Record<Orientation, ViewTransform>>(VIEWS_IDENTITY);
  const [layout, setLayout] = useState<'row' | 'focus'>('row');
  const [main, setMain] = useState<Orientation>('axial');
  const [dragMode, setDragMode] = useState<'crosshair' | 'pan'>('crosshair');
  const [fullscreen, setFullscreen] = useState(false);
  const [showShortcuts, setShowShortcuts] = useState(false);
  // Every other physician structure: toggled per structure, its mask loaded when first shown.
  const [structureOn, setStructureOn] = useState<Record<string, boolean>>({});
  const [structureMasks, setStructureMasks] = useState<Record<string, Uint8Array>>({});
  // Dose: wash and isodoses toggles; the grid is fetched once, when first shown.
  const [doseWash, setDoseWash] = useState(false);
  const [doseIso, setDoseIso] = useState(false);
  const [doseVolume, setDoseVolume] = useState<Volume<Float32Array> | null>(null);
  const [doseError, setDoseError] = useState<string | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const [viewsEl, setViewsEl] = useState<HTMLDivElement | null>(null);
  const box = useBoxSize(viewsEl);

  useEffect(() => {
    let stopped = false;
    fetch(`/api/studies/${encodeURIComponent(studyId)}`, { cache: 'no-store' })
      .then(async (r) => {
        const body = await r.json();
        if (!r.ok) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
        if (!stopped) {
          setView(body as ViewerData);
          setError(null);
        }
      })
      .catch((e: Error) => !stopped && setError(e.message));
    return () => {
      stopped = true;
    };
  }, [studyId, reload]);

  const grid: Grid | null = view?.grid ?? null;
  const phases = useMemo(() => view?.phases ?? [], [view]);
  const phase = phases[Math.min(phasePos, Math.max(0, phases.length - 1))];

  // Load the CT and the masks of the requested phase together, so the overlays always belong
  // to the phase on screen; the previous phase stays visible meanwhile.
  useEffect(() => {
    if (!view || !phase) return;
    let stopped = false;
    const ids = [phase.physicianGtvId, phase.machineGtvId, view.physicianItvId, view.machineItvId].filter((x): x is string => !!x);
    // The first time, the middle axial slice alone first (issue #19): the server answers it
    // before it starts on the volume and the masks (whose reading would hold it up), and it is
    // on screen until they are here. At most a second's head start: a slow slice does not hold
    // the volume back; a failed one is ignored (the volume's own request reports the error).
    const nz = view.grid?.dims[2];
    // Where the page named its first image (a PNG already on its way), no slice request here.
    const pageImage = firstImage?.seriesId === phase.seriesId;
    const firstSlice =
      !centred.current && nz && !pageImage
        ? Promise.race([
            loadVolume(sliceUrl(studyId, phase.seriesId, Math.floor(nz / 2))).then(
              (ct) => !stopped && setPreview({ index: Math.floor(nz / 2), ct }),
              () => undefined,
            ),
            new Promise((resolve) => setTimeout(resolve, 1000)),
          ])
        : Promise.resolve();
    firstSlice
      .then(() => Promise.all([loadVolume(ctUrl(studyId, phase.seriesId)), ...ids.map((id) => loadVolume(maskUrl(studyId, id)))]))
      .then(([ct, ...masks]) => {
        if (stopped) return;
        const byId: Record<string, LoadedVolume> = {};
        ids.forEach((id, n) => (byId[id] = masks[n]));
        setDisplayed({ phasePos, ct, masks: byId });
        setLoadError(null);
      })
      .catch((e: Error) => !stopped && setLoadError(e.message));
    return () => {
      stopped = true;
    };
  }, [view, phase, phasePos, studyId, firstImage]);

  const previewCursor = useMemo<Vec3 | null>(() => (preview ? [Math.floor(preview.ct.dims[0] / 2), Math.floor(preview.ct.dims[1] / 2), 0] : null), [preview]);

  // Start at the tumour: the physician's (else the machine's) ITV or GTV centroid.
  useEffect(() => {
    if (!displayed || !grid || centred.current) return;
    const ph = phases[displayed.phasePos];
    const candidates = [view?.physicianItvId, ph?.physicianGtvId, view?.machineItvId, ph?.machineGtvId];
    let at: Vec3 = grid.dims.map((d) => Math.floor(d / 2)) as Vec3;
    for (const id of candidates) {
      const m = id ? displayed.masks[id] : undefined;
      const c = m ? maskCentroidMm(m.data, grid) : null;
      if (c) {
        at = patientMmToCursor(grid, c).voxel;
        break;
      }
    }
    centred.current = true;
    setCursor(at);
  }, [displayed, grid, phases, view]);

  // Play: step to the next phase once the current one is on screen.
  useEffect(() => {
    if (!playing || phases.length < 2 || displayed?.phasePos !== phasePos) return;
    const t = setTimeout(() => setPhasePos((p) => (p + 1) % phases.length), PLAY_STEP_MS);
    return () => clearTimeout(t);
  }, [playing, displayed, phasePos, phases.length]);

  const lut = useMemo(() => buildWindowLut(WINDOW_PRESETS[preset]), [preset]);

  // The physician structures not drawn by the GTV/ITV toggles (organs at risk, other targets…).
  const extraStructures = useMemo(() => {
    if (!view) return [];
    const shown = new Set([view.physicianItvId, ...phases.map((p) => p.physicianGtvId)].filter(Boolean));
    return view.reference.candidates.filter((c) => !shown.has(c.id));
  }, [view, phases]);

  useEffect(() => {
    const wanted = extraStructures.filter((st) => structureOn[st.id] && !structureMasks[st.id]);
    if (wanted.length === 0) return;
    let stopped = false;
    Promise.all(wanted.map((st) => loadVolume(maskUrl(studyId, st.id)).then((v) => [st.id, v.data as Uint8Array] as const)))
      .then((loaded) => !stopped && setStructureMasks((m) => ({ ...m, ...Object.fromEntries(loaded) })))
      .catch((e: Error) => !stopped && setLoadError(e.message));
    return () => {
      stopped = true;
    };
  }, [extraStructures, structureOn, structureMasks, studyId]);

  const doseSummary = view?.dose ?? null;
  const hasDose = !!doseSummary?.doseGrid;
  const doseDisplay = useMemo(
    () =>
      doseSummary?.doseGrid
        ? doseDisplayLevels({
            prescriptionGy: doseSummary.doseGrid.units === 'GY' ? (doseSummary.plan?.prescriptionGy ?? null) : null,
            maxDoseGy: doseSummary.doseGrid.maxDose,
          })
        : null,
    [doseSummary],
  );
  const doseUnit = doseSummary?.doseGrid && doseSummary.doseGrid.units !== 'GY' ? doseSummary.doseGrid.units.toLowerCase() : 'Gy';
  useEffect(() => {
    if (!hasDose || !(doseWash || doseIso) || doseVolume) return;
    let stopped = false;
    loadVolume(doseUrl(studyId))
      .then((v) => {
        if (stopped) return;
        setDoseVolume({
          grid: { dims: v.dims, spacingMm: v.spacingMm, originMm: v.originMm, direction: v.direction },
          data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data),
        });
        setDoseError(null);
      })
      .catch((e: Error) => !stopped && setDoseError(e.message));
    return () => {
      stopped = true;
    };
  }, [hasDose, doseWash, doseIso, doseVolume, studyId]);
  const sliceDose = useMemo<SliceDose | null>(
    () =>
      doseVolume && grid && doseDisplay && (doseWash || doseIso) ? { volume: doseVolume, grid, display: doseDisplay, wash: doseWash, isodoses: doseIso } : null,
    [doseVolume, grid, doseDisplay, doseWash, doseIso],
  );

  // Full screen: the viewer's own element (Esc leaves, the browser's own key).
  useEffect(() => {
    const on = () => setFullscreen(!!rootRef.current && document.fullscreenElement === rootRef.current);
    document.addEventListener('fullscreenchange', on);
    return () => document.removeEventListener('fullscreenchange', on);
  }, []);
  const toggleFullscreen = useCallback(() => {
    const el = rootRef.current;
    if (!el) return;
    if (document.fullscreenElement) void document.exitFullscreen();
    else if (el.requestFullscreen) {
      setLayout('focus');
      el.requestFullscreen().catch((e: Error) => setLoadError(`Full screen is not available here: ${e.message}`));
    }
  }, []);
  const zoomAll = useCallback(
    (factor: number) => setViews((v) => ({ axial: zoomView(v.axial, factor), coronal: zoomView(v.coronal, factor), sagittal: zoomView(v.sagittal, factor) })),
    [],
  );
  const resetViews = useCallback(() => setViews(VIEWS_IDENTITY), []);

  // Keyboard shortcuts (SHORTCUTS), anywhere on the page but in a form field; a focused view's own
  // arrow keys scroll that view (slice-canvas.tsx) and are not handled again here.
  const keyState = useRef({ main, cursor, dims: grid?.dims, hasDose });
  keyState.current = { main, cursor, dims: grid?.dims, hasDose };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && document.fullscreenElement) {
        // The browser leaves full screen on Esc itself; where the key reaches the page first, leave here.
        void document.exitFullscreen();
        return;
      }
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      // Typing goes to text fields, selects and sliders; on a checkbox or button the shortcuts work.
      const typing =
        !!t &&
        (t.isContentEditable ||
          t.tagName === 'SELECT' ||
          t.tagName === 'TEXTAREA' ||
          (t instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit'].includes(t.type)));
      if (typing) return;
      const k = keyState.current;
      const steps: Record<string, number> = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 };
      let handled = true;
      if (e.key in steps && k.cursor && k.dims) {
        const a = SLICE_AXIS[k.main];
        const next = [...k.cursor] as Vec3;
        next[a] = Math.min(k.dims[a] - 1, Math.max(0, next[a] + steps[e.key]!));
        setCursor(next);
      } else if (e.key === '+' || e.key === '=') zoomAll(ZOOM_STEP);
      else if (e.key === '-' || e.key === '_') zoomAll(1 / ZOOM_STEP);
      else if (e.key === '0') resetViews();
      else if (ORIENTATION_KEYS[e.key]) {
        setMain(ORIENTATION_KEYS[e.key]!);
        setLayout('focus');
      } else if (e.key === 'l' || e.key === 'L') setLayout((l) => (l === 'row' ? 'focus' : 'row'));
      else if (e.key === 'f' || e.key === 'F') toggleFullscreen();
      else if (e.key === 'p' || e.key === 'P') setDragMode((m) => (m === 'pan' ? 'crosshair' : 'pan'));
      else if ((e.key === 'd' || e.key === 'D') && k.hasDose) setDoseWash((v) => !v);
      else if ((e.key === 'i' || e.key === 'I') && k.hasDose) setDoseIso((v) => !v);
      else if (e.key === '?') setShowShortcuts((v) => !v);
      else handled = false;
      if (handled) e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [zoomAll, resetViews, toggleFullscreen]);

  const layers = useMemo<OverlayLayer[]>(() => {
    if (!displayed || !view) return [];
    const ph = phases[displayed.phasePos];
    const m = (id: string | null | undefined) => (id ? (displayed.masks[id]?.data as Uint8Array | undefined) : undefined);
    const physGtv = m(ph?.physicianGtvId);
    const machGtv = m(ph?.machineGtvId);
    const physItv = m(view.physicianItvId);
    const machItv = m(view.machineItvId);
    const [mach, phys] = compare === 'ITV' ? [machItv, physItv] : [machGtv, physGtv];
    const out: OverlayLayer[] = [];
    const add = (key: OverlayKey, mask: Uint8Array | undefined, minus: Uint8Array | null, style: 'outline' | 'fill') => {
      if (toggles[key] && mask) out.push({ mask, minus, color: hexToRgb(OVERLAY_COLORS[key]), alpha: style === 'fill' ? 0.55 : 1, style });
    };
    // Contour lines first, the FP/FN voxels last: drawn above the lines, so a one-voxel FP shell
    // around a tumour is not hidden under them.
    extraStructures.forEach((st, n) => {
      const mask = structureOn[st.id] ? structureMasks[st.id] : undefined;
      if (mask && mask.length === displayed.ct.data.length)
        out.push({ mask, minus: null, color: hexToRgb(STRUCTURE_COLORS[n % STRUCTURE_COLORS.length]!), alpha: 1, style: 'outline' });
    });
    add('physicianItv', physItv, null, 'outline');
    add('machineItv', machItv, null, 'outline');
    add('physicianGtv', physGtv, null, 'outline');
    add('machineGtv', machGtv, null, 'outline');
    if (mach && phys) {
      add('fp', mach, phys, 'fill');
      add('fn', phys, mach, 'fill');
    }
    return out;
  }, [displayed, view, phases, toggles, compare, extraStructures, structureOn, structureMasks]);

  const onSettled = useCallback(
    (run: StudyRunStatus) => {
      if (!view?.run || view.run.status !== run.status || view.run.runId !== run.runId) setReload((n) => n + 1);
    },
    [view],
  );

  const selectRegion = (r: RegionRef) => {
    if (!grid) return;
    setSelected(r);
    setCompare(r.scope);
    setToggles((t) => ({ ...t, fp: true, fn: true }));
    setCursor(patientMmToCursor(grid, r.region.centroidMm).voxel);
  };

  if (error) {
    return (
      <div className="viewer card" data-testid="study-viewer">
        <p className="error" role="alert">
          Cannot open this study: {error}
        </p>
      </div>
    );
  }
  if (!view) {
    return (
      <div className="viewer" data-testid="study-viewer">
        <p className="muted">Loading study…</p>
        {firstImage && (
          <div className="viewer-views">
            <FirstImageView studyId={studyId} image={firstImage} preset={preset} boxPx={null} />
          </div>
        )}
      </div>
    );
  }

  const gtvSet = view.metrics.find((s) => s.scope === 'GTV' && s.phaseIndex === (phase?.phaseIndex ?? null));
  const itvSet = view.metrics.find((s) => s.scope === 'ITV');
  // Why there are no metrics, when there are none: never "they appear when the run has finished"
  // for a study whose run can make none.
  const noMetricsMessage =
    view.reference.status === 'none'
      ? 'No metrics: there is no reference structure to compare the machine contours with (see “No reference structure” above).'
      : view.resultsRunId
        ? 'No metrics for this phase from the last finished run: the reference structure was chosen after it (the new run makes them) or lies on another CT grid.'
        : undefined;
  // Box sizes from the space there is: three views side by side (at least 300 px, 360 px in the
  // review meeting), or one large view (70 % of the width, the window's height less the toolbars)
  // and two small ones beside it.
  // In full screen the views get the space the toolbars leave (their box is the flex remainder of
  // the screen's height, measured), with smaller minimums, so that nothing scrolls.
  const minBox = fullscreen ? 120 : size === 'large' ? 360 : 300;
  const availH = fullscreen ? box.viewsHeight - FRAME_H : null;
  const rowBox = box.width ? Math.max(minBox, Math.min(Math.floor((box.width - 2 * VIEW_GAP - 3 * FRAME_W) / 3), availH ?? box.height - 240)) : minBox;
  const largeW = Math.max(minBox, Math.floor((box.width - VIEW_GAP - 2 * FRAME_W) * 0.7));
  const largeH = Math.max(minBox, availH ?? box.height - 280);
  // The small views take the width the large one leaves (narrower than largeW when the height
  // limits it), at most 0.6 of the large one's width (a short, wide coronal slice would otherwise
  // come out wider than the large view).
  const largeUsedW = grid ? Math.min(largeW, Math.round(largeH * physicalAspect(grid, main))) : largeW;
  const smallW = Math.max(fullscreen ? 80 : 160, Math.min(Math.round(largeUsedW * 0.6), box.width - VIEW_GAP - 2 * FRAME_W - largeUsedW - 2));
  const smallH = Math.max(fullscreen ? 60 : 140, Math.floor((largeH - FRAME_H - VIEW_GAP) / 2));
  const setView1 = (o: Orientation) => (t: ViewTransform) => setViews((v) => ({ ...v, [o]: t }));
  const displayedPhase = displayed ? phases[displayed.phasePos] : undefined;
  const ready = displayed && cursor && grid && displayed.ct.dims.join() === grid.dims.join();

  return (
    <div
      ref={rootRef}
      className={`viewer viewer-${size}${fullscreen ? ` ${styles.fullscreen}` : size === 'normal' ? ` ${styles.wide}` : ''}`}
      data-testid="study-viewer"
      data-fullscreen={fullscreen ? 'true' : undefined}
    >
      <header className="viewer-head">
        <ViewerIdentity view={view} phases={phases.length} showHeading={showHeading && !fullscreen} />
        {!fullscreen && <RunStatus studyId={studyId} initial={view.run} onSettled={onSettled} />}
      </header>
      {!fullscreen && <ReferencePanel studyId={studyId} reference={view.reference} onChosen={() => setReload((n) => n + 1)} />}

      {!grid ? (
        <div className="card">
          <p>This study has no stored CT volume to show. Re-import it from its DICOM or NIfTI files.</p>
        </div>
      ) : (
        <>
          <div className="viewer-toolbar card">
            <div className={`viewer-group ${styles.tools}`} role="group" aria-label="View">
              <button type="button" className="secondary" onClick={() => zoomAll(ZOOM_STEP)} aria-label="Zoom in" title="Zoom in (+)">
                +
              </button>
              <button type="button" className="secondary" onClick={() => zoomAll(1 / ZOOM_STEP)} aria-label="Zoom out" title="Zoom out (−)">
                −
              </button>
              <button type="button" className="secondary" onClick={resetViews} title="Reset zoom and pan (0)">
                Reset
              </button>
              <button
                type="button"
                className={dragMode === 'pan' ? '' : 'secondary'}
                aria-pressed={dragMode === 'pan'}
                onClick={() => setDragMode((m) => (m === 'pan' ? 'crosshair' : 'pan'))}
                title="Drag pans the image (P); Shift + drag always pans"
              >
                Pan
              </button>
              <button
                type="button"
                className={layout === 'focus' ? '' : 'secondary'}
                aria-pressed={layout === 'focus'}
                onClick={() => setLayout((l) => (l === 'row' ? 'focus' : 'row'))}
                title="One large view and two small ones (L; 1/2/3 choose the large one)"
              >
                Large view
              </button>
              <button
                type="button"
                className={fullscreen ? '' : 'secondary'}
                aria-pressed={fullscreen}
                onClick={toggleFullscreen}
                title="Full screen (F; Esc leaves)"
              >
                {fullscreen ? 'Leave full screen' : 'Full screen'}
              </button>
              <button
                type="button"
                className={showShortcuts ? '' : 'secondary'}
                aria-pressed={showShortcuts}
                aria-expanded={showShortcuts}
                onClick={() => setShowShortcuts((v) => !v)}
                title="Keyboard shortcuts (?)"
              >
                ? Shortcuts
              </button>
            </div>
            <div className="viewer-group" role="group" aria-label="Window">
              <span className="muted">Window</span>
              {(Object.keys(WINDOW_PRESETS) as WindowPreset[]).map((p) => (
                <button key={p} type="button" className={preset === p ? '' : 'secondary'} aria-pressed={preset === p} onClick={() => setPreset(p)}>
                  {p === 'lung' ? 'Lung W1500/L−600' : 'Mediastinum W350/L40'}
                </button>
              ))}
            </div>
            {phases.length > 1 && (
              <div className="viewer-group viewer-scrubber">
                <button type="button" onClick={() => setPlaying((v) => !v)} aria-pressed={playing} data-testid="play">
                  {playing ? 'Pause' : 'Play'}
                </button>
                <label className="inline">
                  <span className="muted">Phase</span>
                  <input
                    type="range"
                    min={0}
                    max={phases.length - 1}
                    step={1}
                    value={phasePos}
                    aria-label="Respiratory phase"
                    onChange={(e) => {
                      setPlaying(false);
                      setPhasePos(Number(e.target.value));
                    }}
                  />
                </label>
                <output data-testid="phase-label" aria-live="polite">
                  {phase?.label}
                </output>
                {displayedPhase && displayedPhase !== phase && <span className="muted">loading…</span>}
              </div>
            )}
          </div>

          <div className="viewer-legend card" role="group" aria-label="Overlays">
            {OVERLAYS.map((o) => (
              <label key={o.key} className="inline">
                <input type="checkbox" checked={toggles[o.key]} onChange={(e) => setToggles((t) => ({ ...t, [o.key]: e.target.checked }))} />
                <span className={`swatch ${o.style}`} style={{ [o.style === 'fill' ? 'background' : 'borderColor']: OVERLAY_COLORS[o.key] }} aria-hidden />
                {o.label}
              </label>
            ))}
            <label className="inline">
              <span className="muted">FP/FN of</span>
              <select value={compare} onChange={(e) => setCompare(e.target.value as 'GTV' | 'ITV')} aria-label="FP and FN voxels of">
                <option value="GTV">GTV of this phase</option>
                <option value="ITV">ITV</option>
              </select>
            </label>
          </div>
          {extraStructures.length > 0 && (
            <div className="viewer-legend card" role="group" aria-label="Physician structures" data-testid="structure-toggles">
              <span className="muted">Other physician structures</span>
              {extraStructures.map((st, n) => (
                <label key={st.id} className="inline">
                  <input type="checkbox" checked={!!structureOn[st.id]} onChange={(e) => setStructureOn((m) => ({ ...m, [st.id]: e.target.checked }))} />
                  <span className="swatch outline" style={{ borderColor: STRUCTURE_COLORS[n % STRUCTURE_COLORS.length] }} aria-hidden />
                  {st.name}
                </label>
              ))}
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  const all = extraStructures.every((st) => structureOn[st.id]);
                  setStructureOn(Object.fromEntries(extraStructures.map((st) => [st.id, !all])));
                }}
              >
                {extraStructures.every((st) => structureOn[st.id]) ? 'Hide all' : 'Show all'}
              </button>
            </div>
          )}
          {hasDose && (
            <div className="viewer-legend card" role="group" aria-label="Dose" data-testid="dose-toggles">
              <label className="inline">
                <input type="checkbox" checked={doseWash} onChange={(e) => setDoseWash(e.target.checked)} />
                Dose colour-wash
              </label>
              <label className="inline">
                <input type="checkbox" checked={doseIso} onChange={(e) => setDoseIso(e.target.checked)} />
                Isodose lines
              </label>
              {(doseWash || doseIso) && !doseVolume && !doseError && <span className="muted">loading the dose…</span>}
              {doseError && (
                <span className="error" role="alert">
                  Cannot load the dose: {doseError}
                </span>
              )}
              {doseDisplay && (doseWash || doseIso) && doseVolume && <DoseLegend display={doseDisplay} unit={doseUnit} wash={doseWash} isodoses={doseIso} />}
            </div>
          )}
          {showShortcuts && (
            <div className="card" role="region" aria-label="Keyboard shortcuts">
              <ShortcutsList />
            </div>
          )}

          {loadError && (
            <p className="error" role="alert">
              Cannot load the images: {loadError}
            </p>
          )}
          {displayed && grid && displayed.ct.dims.join() !== grid.dims.join() && (
            <p className="error" role="alert">
              The CT volume is {displayed.ct.dims.join('×')} voxels but the study&apos;s grid is {grid.dims.join('×')}: re-import the study.
            </p>
          )}
          <div ref={setViewsEl} className={styles.views} data-testid="viewer-views" data-layout={layout}>
            {ready ? (
              (() => {
                const canvas = (o: Orientation, w: number, h: number, small: boolean) => (
                  <SliceCanvas
                    key={o}
                    orientation={o}
                    ct={displayed.ct.data as Int16Array}
                    dims={grid.dims}
                    spacingMm={grid.spacingMm}
                    flipK={superiorUp(grid)}
                    lut={lut}
                    layers={layers}
                    cursor={cursor}
                    onCursor={setCursor}
                    boxW={w}
                    boxH={h}
                    view={views[o]}
                    onView={setView1(o)}
                    dragMode={dragMode}
                    dose={sliceDose}
                    onActivate={small ? () => setMain(o) : undefined}
                    onRendered={o === 'axial' ? setRenderMs : undefined}
                  />
                );
                return layout === 'focus' ? (
                  <div className={styles.focus}>
                    {canvas(main, largeW, largeH, false)}
                    <div className={styles.focusSide}>{ORIENTATIONS.filter((o) => o !== main).map((o) => canvas(o, smallW, smallH, true))}</div>
                  </div>
                ) : (
                  <div className="viewer-views">{ORIENTATIONS.map((o) => canvas(o, rowBox, rowBox, false))}</div>
                );
              })()
            ) : firstImage && !loadError && firstImage.seriesId === phase?.seriesId ? (
              <div className="viewer-views">
                <FirstImageView
                  studyId={studyId}
                  image={firstImage}
                  preset={preset}
                  boxPx={box.width ? (layout === 'focus' ? Math.min(largeW, largeH) : rowBox) : null}
                />
              </div>
            ) : preview && previewCursor && grid && !loadError && preview.ct.dims[0] === grid.dims[0] && preview.ct.dims[1] === grid.dims[1] ? (
              (() => {
                const [w, h] = layout === 'focus' ? [largeW, largeH] : [rowBox, rowBox];
                return (
                  <div className="viewer-views">
                    <SliceCanvas
                      orientation="axial"
                      ct={preview.ct.data as Int16Array}
                      dims={preview.ct.dims}
                      spacingMm={grid.spacingMm}
                      flipK={false}
                      lut={lut}
                      layers={NO_LAYERS}
                      cursor={previewCursor}
                      onCursor={noop}
                      boxW={w}
                      boxH={h}
                      view={IDENTITY_VIEW}
                      onView={noop}
                      dragMode="crosshair"
                      preview={{ caption: `slice ${preview.index + 1} / ${grid.dims[2]} · loading the volume…` }}
                    />
                  </div>
                );
              })()
            ) : (
              !loadError && <p className="muted">Loading images…</p>
            )}
          </div>
          {ready && (
            <p className="muted viewer-foot" data-testid="cursor" data-cursor={cursor.join(',')}>
              Cursor voxel ({cursor.map((v) => v + 1).join(', ')}) · phase on screen {displayedPhase?.label}
              {renderMs !== null && <> · axial render {renderMs.toFixed(1)} ms</>}
            </p>
          )}

          {!fullscreen && (
            <>
              <div className={`viewer-panels ${styles.column}`}>
                <DiscordanceList gtv={gtvSet} itv={itvSet} phaseLabel={phase?.label ?? ''} selected={selected} onSelect={selectRegion} />
                <MetricsPanel gtv={gtvSet} itv={itvSet} phaseLabel={phase?.label ?? ''} emptyMessage={noMetricsMessage} />
              </div>
              {view.resultsRunId && view.run && view.resultsRunId !== view.run.runId && (
                <p className={`notice ${styles.column}`}>
                  Showing the results of the previous finished run while the latest run is {view.run.status.toLowerCase()}.
                </p>
              )}
              {view.resultsRunId && phases.length > 1 && (
                <div className={styles.column}>
                  <PhaseCharts studyId={studyId} runId={view.resultsRunId} selectedPhase={phase?.phaseIndex ?? null} height={size === 'large' ? 300 : 240} />
                </div>
              )}
            </>
          )}
        </>
      )}

      {!fullscreen && (
        <section className={`card viewer-exports ${styles.column}`}>
          <h2>Export</h2>
          <DownloadLink className="button" href={`/api/studies/${encodeURIComponent(studyId)}/export/metrics`} data-testid="export-csv">
            Metrics (CSV)
          </DownloadLink>{' '}
          {view.canExportRtStruct && view.resultsRunId && (
            <DownloadLink
              className="button"
              href={`/api/studies/${encodeURIComponent(studyId)}/export/rtstruct${phase?.phaseIndex !== null && phase?.phaseIndex !== undefined ? `?phase=${phase.phaseIndex}` : ''}`}
              data-testid="export-rtstruct"
            >
              Machine contours, phase {phase?.label} + ITV (RTSTRUCT, identified)
            </DownloadLink>
          )}{' '}
          {view.canExportDeidentified && (
            <DownloadLink
              className="button"
              href={`/api/studies/${encodeURIComponent(studyId)}/export/deid`}
              data-testid="export-deid"
              pendingLabel="Exporting the study…"
            >
              Study, de-identified (DICOM zip)
            </DownloadLink>
          )}
          <p className="muted">
            The CSV has every metric row of this study with its convention, and no identifiers.
            {view.canExportDeidentified
              ? ' The de-identified zip has the CT series and the physician structures with a pseudonym, shifted dates and remapped UIDs (PS3.15 basic profile).'
              : ''}
            {view.canExportRtStruct ? ' The RTSTRUCT references the CT series with its real UIDs; the export is recorded in the audit log.' : ''}
          </p>
          {view.canExportDeidentified && <DeidExportPanel studyId={studyId} />}
        </section>
      )}
    </div>
  );
}
