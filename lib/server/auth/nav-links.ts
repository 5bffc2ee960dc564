/**
 * The main navigation: each link with the permission it needs. The app's layout and the 403 page
 * (forbidden-page.ts) show only the links the role may follow (a forbidden link would also be
 * prefetched into a 403).
 */
import { can, type Permission, type Role } from './roles';

export const NAV_LINKS: readonly { href: string; label: string; access: Permission | 'signed-in' }[] = [
  { href: '/', label: 'Cohort', access: 'signed-in' },
  { href: '/outcomes', label: 'Outcomes', access: 'outcomes:view' },
  { href: '/monitoring', label: 'Monitoring', access: 'monitoring:view' },
  // Where studies come in, side by side: upload, the DICOM listener, a PACS query. One "PACS"
  // entry: the query page links to its settings (/admin/pacs) for admins.
  { href: '/import', label: 'Import', access: 'studies:import' },
  { href: '/receive', label: 'Receive', access: 'dicom-receive:view' },
  { href: '/pacs', label: 'PACS', access: 'studies:import' },
  { href: '/review', label: 'Review', access: 'review:view' },
  { href: '/jobs', label: 'Jobs', access: 'jobs:view' },
  { href: '/models', label: 'Models', access: 'jobs:view' },
  { href: '/admin/users', label: 'Users', access: 'users:manage' },
  { href: '/admin/dicom-destinations', label: 'DICOM destinations', access: 'dicom-destinations:manage' },
  { href: '/admin/structure-roles', label: 'Structure roles', access: 'structure-roles:manage' },
  { href: '/admin/flags', label: 'Flags', access: 'flags:manage' },
  { href: '/admin/audit', label: 'Audit log', access: 'audit:view' },
];

export function navLinksFor(role: Role): { href: string; label: string }[] {
  return NAV_LINKS.filter((l) => l.access === 'signed-in' || can(role, l.access)).map(({ href, label }) => ({ href, label }));
}
