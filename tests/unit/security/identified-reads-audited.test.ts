/**
 * A static guard for "every view or export of identified data writes an audit event": every
 * lib/server module that reads PatientIdentity's name, MRN or birth date must itself write an
 * audit event (recordAuditEvent / recordIdentifiedAccess), or be a helper whose every importer
 * does, or be listed below with the reason it shows nothing to anyone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const serverDir = path.join(root, 'lib', 'server');

/** Reads identifiers but never returns them to a caller. */
const NOT_A_VIEW: Record<string, string> = {
  'lib/server/studies/write-study.ts': 'writes the identity on import (audited as study.import)',
  'lib/server/studies/prepare-structure-only-study.ts': 'matches an RTSTRUCT-only upload to its patient by MRN at import; returns no identifier',
  'lib/server/studies/prepare-dose-only-study.ts': 'matches an RTDOSE-only upload to its patient by MRN at import; returns no identifier',
};

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : files(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** `include: { identity: true }`, `identity: { select: { name … } }`, or a direct patientIdentity query. */
const READS_IDENTIFIERS = /identity:\s*true|identity:\s*\{\s*select:\s*\{[^}]*\b(name|mrn|birthDate)\b|\.patientIdentity\.find/;
const AUDITS = /\brecord(AuditEvent|IdentifiedAccess)\s*\(/;

describe('identified reads are audited', () => {
  it('every module that selects names, MRNs or birth dates audits, delegates to audited callers, or is not a view', () => {
    const all = [...files(serverDir), ...files(path.join(root, 'app'))];
    const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
    const source = new Map(all.map((f) => [rel(f), fs.readFileSync(f, 'utf8')]));
    const readers = [...source].filter(([f, s]) => f.startsWith('lib/server/') && READS_IDENTIFIERS.test(s)).map(([f]) => f);
    expect(readers.length, 'the pattern finds the known identified reads').toBeGreaterThanOrEqual(5);
    const problems: string[] = [];
    for (const f of readers) {
      if (NOT_A_VIEW[f] || AUDITS.test(source.get(f)!)) continue;
      const stem = path.basename(f).replace(/\.tsx?$/, '');
      const importers = [...source].filter(([g, s]) => g !== f && new RegExp(`from ['"][^'"]*/${stem}['"]`).test(s)).map(([g]) => g);
      const unaudited = importers.filter((g) => !AUDITS.test(source.get(g)!));
      if (importers.length === 0) problems.push(`${f} reads identifiers and writes no audit event`);
      for (const g of unaudited) problems.push(`${g} uses ${f} (which reads identifiers) and writes no audit event`);
    }
    expect(problems).toEqual([]);
  });
});
