/**
 * The client's address for the audit log and the per-address sign-in limit.
 *
 * `X-Forwarded-For` is read from the right: its last entry was written by the nearest hop we can
 * trust, a reverse proxy that appends the address it saw (nginx `$proxy_add_x_forwarded_for`),
 * or Next.js itself, which fills in the socket's address when the header is absent. Entries to
 * the left of it come from the client and could be anything. Without the header, `X-Real-IP`.
 * See docs/security.md (a server exposed without a reverse proxy lets a client choose the header).
 */
export function clientAddress(header: (name: string) => string | null | undefined): string | undefined {
  const forwarded = header('x-forwarded-for');
  if (forwarded) {
    const last = forwarded
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .pop();
    if (last) return last.slice(0, 100);
  }
  const real = header('x-real-ip')?.trim();
  return real ? real.slice(0, 100) : undefined;
}
