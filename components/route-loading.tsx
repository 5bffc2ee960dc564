/** What a page shows while its server data loads (each segment's loading.tsx). */
export function RouteLoading({ what }: { what: string }) {
  return (
    <section className="card" aria-busy="true" data-testid="route-loading">
      <p>Loading {what}…</p>
    </section>
  );
}
