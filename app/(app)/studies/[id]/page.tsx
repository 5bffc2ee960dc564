/**
 * /studies/[id]: the motion-resolved study viewer. The page checks the caller and that the study
 * exists; the viewer (a client component) fetches its data from /api/studies/[id]/… itself, so
 * the review meeting can embed the same component. The page names the first image (the middle
 * axial slice as a PNG) in its HTML, so it is on screen before the viewer's code runs.
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { type Caller, authorize } from '@/lib/server/auth/roles';
import { StudyViewer } from '@/components/viewer/study-viewer';
import { SendPanel } from './send-panel';
import { DosePanel } from './dose-panel';
import { ObserversPanel } from './observers-panel';
import { FlagList } from '@/components/flags/flag-chips';
import { findStudyFlags } from '@/lib/server/studies/find-study-flags';
import { getStudyFirstImage } from '@/lib/server/studies/get-study-first-image';

export const dynamic = 'force-dynamic';

export default async function StudyPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const caller = await requireCaller();
  authorize(caller, 'studies:view');
  const { id } = await params;
  const exists = await db().study.count({ where: { id } });
  if (!exists) notFound();
  const sp = await searchParams;
  // The first image's URL in this HTML (issue #19, docs/viewer.md "First image"): the browser
  // fetches the slice while the page's scripts load, not after them and the study's JSON. The
  // panels below the viewer are streamed after it (Suspense), so their queries do not hold the
  // first bytes of the page, and with them the image, back.
  const first = await getStudyFirstImage(db(), { caller, studyId: id });
  return (
    <>
      <p className="muted">
        <Link href="/">← Cohort</Link>
      </p>
      <StudyViewer studyId={id} firstImage={first} />
      <Suspense fallback={<p className="muted">Loading the QA flags and panels…</p>}>
        <StudyFlags caller={caller} studyId={id} />
        <ObserversPanel caller={caller} studyId={id} />
        <DosePanel
          caller={caller}
          studyId={id}
          done={typeof sp.doseDone === 'string' ? sp.doseDone : null}
          error={typeof sp.doseError === 'string' ? sp.doseError : null}
        />
        <SendPanel
          caller={caller}
          studyId={id}
          done={typeof sp.sendDone === 'string' ? sp.sendDone : null}
          error={typeof sp.sendError === 'string' ? sp.sendError : null}
        />
      </Suspense>
    </>
  );
}

async function StudyFlags({ caller, studyId }: { caller: Caller; studyId: string }) {
  const qa = await findStudyFlags(db(), { caller, studyId });
  return (
    <section className="card" data-testid="study-flags">
      <h2>QA flags</h2>
      {qa ? (
        <FlagList flags={qa.flags} rulesVersion={qa.rulesVersion} testId="study-flag-list" />
      ) : (
        <p className="muted">No finished segmentation run with metrics yet: flags appear when one succeeds.</p>
      )}
    </section>
  );
}
