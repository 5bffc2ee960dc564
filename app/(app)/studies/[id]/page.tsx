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

export const dynamic = 'force-dynamic';

export default async function StudyPage({ params }: { params: Promise<{ id: string }> }) {
  const caller = await requireCaller();
  authorize(caller, 'studies:view');
  const { id } = await params;
  const exists = await db().study.count({ where: { id } });
  if (!exists) notFound();
  return (
    <>
      <p className="muted">
        <Link href="/">← Cohort</Link>
      </p>
      <StudyViewer studyId={id} />
    </>
  );
}
