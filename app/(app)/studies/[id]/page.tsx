/**
 * /studies/[id]: the motion-resolved study viewer. The page checks the caller and that the study
 * exists; the viewer (a client component) fetches its data from /api/studies/[id]/… itself, so
 * the review meeting can embed the same component.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { authorize } from '@/lib/server/auth/roles';
import { StudyViewer } from '@/components/viewer/study-viewer';
import { SendPanel } from './send-panel';

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
  return (
    <>
      <p className="muted">
        <Link href="/">← Cohort</Link>
      </p>
      <StudyViewer studyId={id} />
      <SendPanel
        caller={caller}
        studyId={id}
        done={typeof sp.sendDone === 'string' ? sp.sendDone : null}
        error={typeof sp.sendError === 'string' ? sp.sendError : null}
      />
    </>
  );
}
