'use client';
/**
 * What a page shows when its server code fails: a plain sentence, the error's reference (the
 * digest in the server log), and a retry. Next.js hides server error messages in production,
 * so the reference is what an administrator looks up. Used by every segment's error.tsx.
 */
import Link from 'next/link';

export function RouteError({ what, error, reset }: { what: string; error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" role="alert" data-testid="route-error">
      <h1>{what} could not be shown</h1>
      <p>
        The server could not finish this page. Nothing was changed. Try again; if it keeps failing, an administrator can find the cause in the server log
        {error.digest ? (
          <>
            {' '}
            under reference <code>{error.digest}</code>
          </>
        ) : null}
        , and <code>npx iseg-qa doctor</code> checks the database, the queue and the workers.
      </p>
      <p>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>{' '}
        <Link href="/">Back to the cohort</Link>
      </p>
    </section>
  );
}
