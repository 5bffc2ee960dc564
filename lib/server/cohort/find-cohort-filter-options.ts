/**
 * The values the cohort page's filter form offers: institutions, models, physicians, scanners.
 * Physician names are DICOM free text (ReferringPhysicianName): a caller with identifiers:view
 * gets them as stored (audited, 'cohort.physicians.viewed_identified'); everyone else a keyed
 * pseudonym ("Physician K7Q2MX", lib/server/deid/present-free-text.ts), the same value the case
 * table shows and the physician filter of findCohortCases accepts.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { freeTextPresenter } from '../deid/present-free-text';

export async function findCohortFilterOptions(db: Db, { caller }: { caller: Caller }) {
  const who = authorize(caller, 'cohort:view');
  const [institutions, models, physicians, scanners, freeText] = await Promise.all([
    db.institution.findMany({ select: { id: true, name: true }, orderBy: { name: 'asc' } }),
    db.modelVersion.findMany({ select: { id: true, name: true, version: true }, orderBy: [{ name: 'asc' }, { version: 'asc' }] }),
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL ORDER BY 1`,
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT scanner AS v FROM "Study" WHERE scanner IS NOT NULL ORDER BY 1`,
    freeTextPresenter(db, who),
  ]);
  const shown = [...new Set(physicians.map((x) => freeText.physician(x.v)).filter((x): x is string => x !== null))].sort();
  if (freeText.identified && shown.length > 0) {
    await recordAuditEvent(db, { action: 'cohort.physicians.viewed_identified', caller: who, target: 'cohort:filters', details: { physicians: shown.length } });
  }
  return {
    institutions,
    models: models.map((m) => ({ id: m.id, label: `${m.name} ${m.version}` })),
    /** As the caller may see them: names (identifiers:view) or pseudonyms; each is a filter value. */
    physicians: shown,
    scanners: scanners.map((x) => x.v),
  };
}
