import Link from 'next/link';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { navLinksFor } from '@/lib/server/auth/nav-links';
import { SignOutButton } from '@/components/sign-out-button';

export const dynamic = 'force-dynamic';

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const caller = await requireCaller();
  return (
    <>
      <header className="top">
        <Link className="brand" href="/">
          iSeg QA
        </Link>
        {/* Only links the role may follow: a forbidden link would also be prefetched into a 403. */}
        {navLinksFor(caller.role).map((l) => (
          <Link key={l.href} href={l.href}>
            {l.label}
          </Link>
        ))}
        <span className="spacer" />
        <span data-testid="who">
          {caller.name} · {caller.role.toLowerCase()}
        </span>
        <SignOutButton />
      </header>
      <main>{children}</main>
    </>
  );
}
