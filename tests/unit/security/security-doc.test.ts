/** docs/security.md shows the role table of lib/server/auth/roles.ts, exactly. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../../lib/server/auth/roles';

function renderRoleTable(): string {
  const head = `| Permission | ${ROLES.map((r) => r.toLowerCase()).join(' | ')} |\n|---|${ROLES.map(() => ':-:').join('|')}|\n`;
  return (
    head +
    Object.entries(PERMISSIONS)
      .map(([p, rs]) => `| \`${p}\` | ${ROLES.map((r) => ((rs as readonly string[]).includes(r) ? '✓' : '—')).join(' | ')} |`)
      .join('\n')
  );
}

describe('docs/security.md', () => {
  it('has the role table of roles.ts between the roles markers', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', '..', 'docs', 'security.md'), 'utf8');
    const m = /<!-- roles:start -->\n([\s\S]*?)\n<!-- roles:end -->/.exec(doc);
    expect(m, 'roles markers in docs/security.md').not.toBeNull();
    expect(m![1].trim(), 'replace the table in docs/security.md with the expected one').toBe(renderRoleTable());
  });
});
