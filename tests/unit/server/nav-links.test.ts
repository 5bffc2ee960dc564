/**
 * The main navigation (lib/server/auth/nav-links.ts): one "PACS" entry (the query page, which
 * links admins to the PACS settings), the Receive page next to Import, and the role rules kept.
 */
import { describe, expect, it } from 'vitest';
import { navLinksFor } from '../../../lib/server/auth/nav-links';
import { ROLES, can } from '../../../lib/server/auth/roles';

describe('navigation', () => {
  it('shows an admin one PACS entry, the query page, and no second settings entry', () => {
    const links = navLinksFor('ADMIN');
    expect(links.filter((l) => /PACS/i.test(l.label))).toEqual([{ href: '/pacs', label: 'PACS' }]);
    expect(links.map((l) => l.href)).not.toContain('/admin/pacs');
  });

  it('puts Receive and PACS right after Import for a physicist', () => {
    const hrefs = navLinksFor('PHYSICIST').map((l) => l.href);
    const i = hrefs.indexOf('/import');
    expect(hrefs.slice(i, i + 3)).toEqual(['/import', '/receive', '/pacs']);
  });

  it('keeps the role rules: a link only for roles that may open it', () => {
    for (const role of ROLES) {
      const hrefs = navLinksFor(role).map((l) => l.href);
      expect(hrefs.includes('/pacs'), role).toBe(can(role, 'studies:import'));
      expect(hrefs.includes('/receive'), role).toBe(can(role, 'dicom-receive:view'));
      expect(hrefs.includes('/admin/dicom-destinations'), role).toBe(can(role, 'dicom-destinations:manage'));
      // Whoever may manage the PACS settings reaches them from the query page.
      if (can(role, 'pacs:manage')) expect(hrefs, role).toContain('/pacs');
    }
  });
});
