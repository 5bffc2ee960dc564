/** Liveness and database reachability; public (health checks need no session). */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';

export const dynamic = 'force-dynamic';

export const GET = withCaller('public', async () => {
  try {
    await db().$queryRaw`SELECT 1`;
    return Response.json({ status: 'ok', database: 'ok' });
  } catch {
    return Response.json({ status: 'degraded', database: 'unreachable' }, { status: 503 });
  }
});
