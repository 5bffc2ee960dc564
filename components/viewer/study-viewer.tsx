'use client';
/**
 * The motion-resolved study viewer (issue #7 §2): axial, coronal and sagittal views of one 4D CT
 * phase with physician and machine GTV/ITV contours and FP/FN voxels, a phase scrubber with
 * play, lung and mediastinum windows, the discordant regions (click to jump), the metrics by
 * convention, per-phase charts, the run's live status and model, and the exports.
 *
 * Self-contained: give it a study id and it fetches everything from /api/studies/[id]/… (the
 * review meeting embeds it with size="large"). Volumes arrive as binary (Int16 HU, byte masks);
 * rendering is lib/core/viewer's renderSlice.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { StudyView } from '@/lib/server/studies/get-study-view';
import { ViewerIdentity } from './viewer-identity';
import type { StudyRunStatus } from '@/lib/server/studies/get-study-run-status';
import type { Grid, Vec3 } from '@/lib/core/volume';
import {
  type OverlayLayer,
  type WindowPreset,
  WINDOW_PRESETS,
  buildWindowLut,
  maskCentroidMm,
  patientMmToCursor,
  superiorUp,
  ORIENTATIONS,
} from '@/lib/core/viewer';
import { type LoadedVolume, ctUrl, loadVolume, maskUrl } from './load-volume';
import { SliceCanvas } from './slice-canvas';
import { RunStatus } from './run-status';
import { DownloadLink } from '@/components/download-link';
import { MetricsPanel } from './metrics-panel';
import { ReferencePanel } from './reference-panel';
import { DiscordanceList, type RegionRef } from './discordance-list';
import { PhaseCharts } from './phase-charts';
import { OVERLAY_COLORS, type OverlayKey, hexToRgb } from './overlay-colors';

export interface StudyViewerProps {
  studyId: string;
  size?: 'normal' | 'large';
  /** False where the page's own heading names the study (the review presenter): no second name line. */
  showHeading?: boolean;
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

interface Displayed {
  phasePos: number;
  ct: LoadedVolume;
  masks: Record<string, LoadedVolume>;
}

export function StudyViewer({ studyId, size = 'normal', showHeading = true }: StudyViewerProps) {
  const [view, setView] = useState<StudyView | null>(null);
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
  const [loadError, setLoadError] = useState<string | null>(null);
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const centred = useRef(false);

  useEffect(() => {
    let stopped = false;
    fetch(`/api/studies/${encodeURIComponent(studyId)}`, { cache: 'no-store' })
      .then(async (r) => {
        const body = await r.json();
        if (!r.ok) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
        if (!stopped) {
          setView(body as StudyView);
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
    Promise.all([loadVolume(ctUrl(studyId, phase.seriesId)), ...ids.map((id) => loadVolume(maskUrl(studyId, id)))])
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
  }, [view, phase, phasePos, studyId]);

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
    if (mach && phys) {
      add('fp', mach, phys, 'fill');
      add('fn', phys, mach, 'fill');
    }
    add('physicianItv', physItv, null, 'outline');
    add('machineItv', machItv, null, 'outline');
    add('physicianGtv', physGtv, null, 'outline');
    add('machineGtv', machGtv, null, 'outline');
    return out;
  }, [displayed, view, phases, toggles, compare]);

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
  const boxPx = size === 'large' ? 360 : 300; // three views side by side within the page width
  const displayedPhase = displayed ? phases[displayed.phasePos] : undefined;
  const ready = displayed && cursor && grid && displayed.ct.dims.join() === grid.dims.join();

  return (
    <div className={`viewer viewer-${size}`} data-testid="study-viewer">
      <header className="viewer-head">
        <ViewerIdentity view={view} phases={phases.length} showHeading={showHeading} />
        <RunStatus studyId={studyId} initial={view.run} onSettled={onSettled} />
      </header>
      <ReferencePanel studyId={studyId} reference={view.reference} onChosen={() => setReload((n) => n + 1)} />

      {!grid ? (
        <div className="card">
          <p>This study has no stored CT volume to show. Re-import it from its DICOM or NIfTI files.</p>
        </div>
      ) : (
        <>
          <div className="viewer-toolbar card">
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
          {ready ? (
            <div className="viewer-views">
              {ORIENTATIONS.map((o) => (
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
                  boxPx={boxPx}
                  onRendered={o === 'axial' ? setRenderMs : undefined}
                />
              ))}
            </div>
          ) : (
            !loadError && <p className="muted">Loading images…</p>
          )}
          {ready && (
            <p className="muted viewer-foot" data-testid="cursor" data-cursor={cursor.join(',')}>
              Cursor voxel ({cursor.map((v) => v + 1).join(', ')}) · phase on screen {displayedPhase?.label}
              {renderMs !== null && <> · axial render {renderMs.toFixed(1)} ms</>}
            </p>
          )}

          <div className="viewer-panels">
            <DiscordanceList gtv={gtvSet} itv={itvSet} phaseLabel={phase?.label ?? ''} selected={selected} onSelect={selectRegion} />
            <MetricsPanel gtv={gtvSet} itv={itvSet} phaseLabel={phase?.label ?? ''} emptyMessage={noMetricsMessage} />
          </div>
          {view.resultsRunId && view.run && view.resultsRunId !== view.run.runId && (
            <p className="notice">Showing the results of the previous finished run while the latest run is {view.run.status.toLowerCase()}.</p>
          )}
          {view.resultsRunId && phases.length > 1 && (
            <PhaseCharts studyId={studyId} runId={view.resultsRunId} selectedPhase={phase?.phaseIndex ?? null} height={size === 'large' ? 300 : 240} />
          )}
        </>
      )}

      <section className="card viewer-exports">
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
      </section>
    </div>
  );
}
