/**
 * /studies/[id]: the motion-resolved study viewer. The page checks the caller and that the study
 * exists; the viewer (a client component) fetches its data from /api/studies/[id]/… itself, so
 * the review meeting can embed the same component. The page inlines the first image (the middle
 * axial slice as a PNG data: URI) in its HTML, so it is on screen before the viewer's code runs.
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
import { volumeStore } from '@/lib/server/storage/volume-store';

export const dynamic = 'force-dynamic';

export default async function StudyPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  // The first image inline in this HTML (issue #19, docs/viewer.md "First image"): the middle
  // axial slice as a PNG data: URI, so it is on screen with the page's first bytes, with no second
  // request. Its series lookup runs beside the session lookup; its pixels are read once the caller
  // is authorised (getStudyFirstImage). The panels below the viewer are streamed after it
  // (Suspense), so their queries do not hold the page, and with it the image, back.
  const callerLookup = requireCaller();
  const firstLookup = getStudyFirstImage(db(), volumeStore(), { caller: callerLookup, studyId: id });
  firstLookup.catch(() => undefined); // awaited below, after the caller's own checks
  const caller = await callerLookup;
  authorize(caller, 'studies:view');
  const first = await firstLookup;
  // A study with a CT exists; one without (or a wrong link) is looked up.
  if (!first && !(await db().study.count({ where: { id } }))) notFound();
  const sp = await searchParams;
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
