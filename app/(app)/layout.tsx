import { requireCaller } from '@/lib/server/auth/get-caller';
import { navLinksFor } from '@/lib/server/auth/nav-links';
import { AppHeader } from '@/components/app-header';

export const dynamic = 'force-dynamic';

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const caller = await requireCaller();
  return (
    <>
      {/* Only links the role may follow: a forbidden link would also be prefetched into a 403. */}
      <AppHeader links={navLinksFor(caller.role)} who={`${caller.name} · ${caller.role.toLowerCase()}`} />
      <main>{children}</main>
    </>
  );
}
