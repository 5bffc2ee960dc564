import Link from 'next/link';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
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
        <Link href="/">Cohort</Link>
        {/* Only links the role may follow: a forbidden link would also be prefetched into a 403. */}
        {can(caller.role, 'outcomes:view') && <Link href="/outcomes">Outcomes</Link>}
        {can(caller.role, 'studies:import') && <Link href="/import">Import</Link>}
        {can(caller.role, 'studies:import') && <Link href="/pacs">Query PACS</Link>}
        {can(caller.role, 'dicom-receive:view') && <Link href="/receive">Receive</Link>}
        {can(caller.role, 'review:view') && <Link href="/review">Review</Link>}
        {can(caller.role, 'jobs:view') && <Link href="/jobs">Jobs</Link>}
        {can(caller.role, 'jobs:view') && <Link href="/models">Models</Link>}
        {can(caller.role, 'users:manage') && <Link href="/admin/users">Users</Link>}
        {can(caller.role, 'dicom-destinations:manage') && <Link href="/admin/dicom-destinations">DICOM destinations</Link>}
        {can(caller.role, 'structure-roles:manage') && <Link href="/admin/structure-roles">Structure roles</Link>}
        {can(caller.role, 'audit:view') && <Link href="/admin/audit">Audit log</Link>}
        {can(caller.role, 'pacs:manage') && <Link href="/admin/pacs">PACS</Link>}
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
