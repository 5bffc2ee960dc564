'use client';
/**
 * The motion-resolved study viewer (issue #7 §2): a self-contained client component that
 * fetches everything it needs from /api/studies/[id]/… . Embeddable (the review meeting uses it
 * with size="large").
 */
export interface StudyViewerProps {
  studyId: string;
  size?: 'normal' | 'large';
}

export function StudyViewer({ studyId }: StudyViewerProps) {
  return <div className="viewer" data-testid="study-viewer" data-study-id={studyId}>Loading study…</div>;
}
