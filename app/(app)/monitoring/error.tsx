'use client';
import { RouteError } from '@/components/route-error';

export default function Error({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError what="The monitoring page" error={error} reset={reset} />;
}
