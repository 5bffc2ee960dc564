/** The values the cohort page's filter form offers: institutions, models, physicians, scanners. */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

export async function findCohortFilterOptions(db: Db, { caller }: { caller: Caller }) {
  authorize(caller, 'cohort:view');
  const [institutions, models, physicians, scanners] = await Promise.all([
    db.institution.findMany({ select: { id: true, name: true }, orderBy: { name: 'asc' } }),
    db.modelVersion.findMany({ select: { id: true, name: true, version: true }, orderBy: [{ name: 'asc' }, { version: 'asc' }] }),
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL ORDER BY 1`,
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT scanner AS v FROM "Study" WHERE scanner IS NOT NULL ORDER BY 1`,
  ]);
  return {
    institutions,
    models: models.map((m) => ({ id: m.id, label: `${m.name} ${m.version}` })),
    physicians: physicians.map((x) => x.v),
    scanners: scanners.map((x) => x.v),
  };
}
