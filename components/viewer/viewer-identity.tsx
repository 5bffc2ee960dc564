/**
 * The viewer's heading: who the study is (name and MRN for roles with identifiers, else the
 * pseudonym) and what it is. Embedded in the review presenter (`showHeading={false}`), whose own
 * heading already names the case, it leaves out the name line so the pseudonym appears once.
 */
import type { StudyView } from '@/lib/server/studies/get-study-view';

export function ViewerIdentity({ view, phases, showHeading = true }: { view: Pick<StudyView, 'identity' | 'study'>; phases: number; showHeading?: boolean }) {
  return (
    <div data-testid="identity">
      {showHeading && (
        <h1>
          {view.identity?.name ?? view.study.pseudonym}
          {view.identity && <span className="muted"> · MRN {view.identity.mrn ?? '—'}</span>}
        </h1>
      )}
      <p className="muted">
        {showHeading &&
          (view.identity ? (
            <>
              Pseudonym {view.study.pseudonym}
              {view.identity.studyDate ? ` · study date ${view.identity.studyDate}` : ''} ·{' '}
            </>
          ) : (
            <>Identifiers are hidden for your role · </>
          ))}
        {!showHeading && view.identity?.studyDate ? `Study date ${view.identity.studyDate} · ` : ''}
        {view.study.description ?? 'CT study'} · {phases > 1 ? `4D CT, ${phases} phases` : '3D CT'}
      </p>
    </div>
  );
}
