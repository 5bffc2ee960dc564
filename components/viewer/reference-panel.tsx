'use client';
/**
 * Which physician structures the machine contours are measured against (the reference GTV per
 * phase and the ITV), recognised from the ROI names or chosen by a physicist; when none is
 * recognised, says so plainly, and lets a physicist (studies:choose-reference) choose one. Names
 * arrive as the caller may see them (get-study-view.ts).
 */
import { useState, useTransition } from 'react';
import type { StudyReference, ReferenceStructureView } from '@/lib/server/studies/present-study-reference';
import { chooseReference } from '@/app/(study)/studies/[id]/actions';

const phaseText = (s: ReferenceStructureView) => (s.phasePercent !== null ? ` (${s.phasePercent}%)` : s.phaseIndex !== null ? ` (phase ${s.phaseIndex})` : '');

function describe(list: ReferenceStructureView[]): string {
  const gtv = list.filter((s) => s.kind === 'GTV');
  const itv = list.filter((s) => s.kind === 'ITV');
  const parts: string[] = [];
  if (gtv.length)
    parts.push(
      `GTV ${gtv
        .slice(0, 6)
        .map((s) => `“${s.name}”${phaseText(s)}`)
        .join(', ')}${gtv.length > 6 ? `, … (${gtv.length})` : ''}`,
    );
  if (itv.length) parts.push(`ITV ${itv.map((s) => `“${s.name}”`).join(', ')}`);
  return parts.join('; ');
}

export function ReferencePanel({ studyId, reference, onChosen }: { studyId: string; reference: StudyReference; onChosen: () => void }) {
  const [structureId, setStructureId] = useState(reference.candidates[0]?.id ?? '');
  const [role, setRole] = useState<'GTV' | 'ITV'>('GTV');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, start] = useTransition();
  const none = reference.status === 'none';

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    start(async () => {
      const r = await chooseReference(studyId, structureId, role);
      setResult(r.ok ? { ok: true, text: r.message } : { ok: false, text: r.error });
      if (r.ok) onChosen();
    });
  };

  const form = reference.canChoose && reference.candidates.length > 0 && (
    <form onSubmit={submit} className="viewer-group" data-testid="reference-choice" style={{ flexWrap: 'wrap', gap: '0.5rem' }}>
      <label>
        Structure{' '}
        <select value={structureId} onChange={(e) => setStructureId(e.target.value)} name="structure">
          {reference.candidates.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
              {phaseText(s)}
              {s.kind !== 'OTHER' ? ` (now ${s.kind})` : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        as{' '}
        <select value={role} onChange={(e) => setRole(e.target.value as 'GTV' | 'ITV')} name="role">
          <option value="GTV">GTV (of its CT phase)</option>
          <option value="ITV">ITV</option>
        </select>
      </label>
      <button type="submit" disabled={pending || !structureId}>
        {pending ? 'Saving…' : 'Use as reference'}
      </button>
    </form>
  );

  return (
    <section className={`card viewer-reference${none ? ' notice' : ''}`} data-testid="reference-panel" data-status={reference.status}>
      {none ? (
        <>
          <h2>No reference structure</h2>
          <p>
            {reference.candidates.length === 0
              ? 'This study has no physician structure (no RTSTRUCT or mask was imported with it), so the machine contours have nothing to be compared with and no metrics can be computed. Import the physician’s RTSTRUCT; it is added to this study.'
              : `None of the ${reference.candidates.length} physician structures (${reference.candidates
                  .slice(0, 12)
                  .map((s) => `“${s.name}”`)
                  .join(
                    ', ',
                  )}${reference.candidates.length > 12 ? ', …' : ''}) is recognised as the GTV or ITV by its name, so the machine contours have nothing to be compared with and no metrics can be computed.`}{' '}
            {reference.candidates.length > 0 &&
              (reference.canChoose ? 'Choose the reference structure:' : 'A physicist can choose the reference structure here.')}
          </p>
          {form}
        </>
      ) : (
        <>
          <p style={{ margin: 0 }}>
            <strong>Reference (physician):</strong> {describe(reference.structures)}
            {reference.status === 'chosen' ? ' · chosen by a physicist' : ' · recognised from the ROI names'}
          </p>
          {form && (
            <details>
              <summary>Choose another reference structure</summary>
              {form}
            </details>
          )}
        </>
      )}
      {result && (
        <p className={result.ok ? 'muted' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid="reference-result">
          {result.text}
        </p>
      )}
    </section>
  );
}
