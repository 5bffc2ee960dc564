/**
 * First-run demo cohort: synthetic patients, studies and outcomes so a new install has
 * something to show. Placeholder until the imaging work replaces it with synthetic 4D CT
 * phantoms written as real DICOM: these studies have no images, so no metrics.
 * Deterministic (seeded). Runs only when the database has no patients.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/client';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSTITUTIONS = ['Demo University Hospital', 'Demo Regional Cancer Centre', 'Demo Community Clinic'];
const PHYSICIANS = ['Dr Demo A', 'Dr Demo B', 'Dr Demo C', 'Dr Demo D'];
const SCANNERS = ['Siemens SOMATOM Demo', 'GE Discovery Demo', 'Philips Brilliance Demo'];
const GREEK = ['ALPHA', 'BETA', 'GAMMA', 'DELTA', 'EPSILON', 'ZETA', 'ETA', 'THETA', 'IOTA', 'KAPPA'];

export async function seedDemoCohort(db: Db, { patients = 40, seed = 20261128 } = {}): Promise<{ seeded: boolean; patients: number }> {
  if ((await db.patient.count()) > 0) return { seeded: false, patients: 0 };
  const rand = mulberry32(seed);
  const institutions = await Promise.all(
    INSTITUTIONS.map((name) => db.institution.upsert({ where: { name }, create: { name }, update: {} })),
  );
  await db.$transaction(async (tx) => {
    for (let i = 0; i < patients; i++) {
      const inst = institutions[i % institutions.length];
      const pseudonym = `DEMO-${String(i + 1).padStart(3, '0')}`;
      const uid = `2.25.${BigInt('0x' + createHash('sha256').update(`demo-study-${seed}-${i}`).digest('hex').slice(0, 30)).toString()}`;
      const studyDate = new Date(Date.UTC(2024, Math.floor(rand() * 12), 1 + Math.floor(rand() * 27)));
      // Exponential local-failure and death times with administrative censoring at 3 years.
      const lfDays = -Math.log(1 - rand()) / 0.0006;
      const deathDays = -Math.log(1 - rand()) / 0.0004;
      const followDays = 180 + rand() * 900;
      const end = Math.min(lfDays, deathDays, followDays);
      await tx.patient.create({
        data: {
          pseudonym,
          institutionId: inst.id,
          identity: {
            create: {
              name: `PHANTOM^${GREEK[i % GREEK.length]}${Math.floor(i / GREEK.length) || ''}`,
              mrn: `DEMO${100000 + i}`,
              birthDate: new Date(Date.UTC(1940 + Math.floor(rand() * 35), Math.floor(rand() * 12), 1 + Math.floor(rand() * 27))),
              dateShiftDays: -Math.floor(rand() * 365) - 1,
            },
          },
          studies: {
            create: {
              studyInstanceUid: uid,
              studyDate,
              description: 'Placeholder demo study (no images yet)',
              physician: PHYSICIANS[Math.floor(rand() * PHYSICIANS.length)],
              scanner: SCANNERS[i % SCANNERS.length],
              contentHash: createHash('sha256').update(uid).digest('hex'),
              findings: [{ code: 'DEMO_PLACEHOLDER', severity: 'info', message: 'Seeded placeholder without images.' }],
            },
          },
          outcome: {
            create: {
              localFailure: end === lfDays,
              localFailureDays: end === lfDays ? Math.round(lfDays) : null,
              died: end === deathDays,
              deathDays: end === deathDays ? Math.round(deathDays) : null,
              lastFollowUpDays: Math.round(end),
              source: 'demo-seed',
            },
          },
        },
      });
    }
  });
  return { seeded: true, patients };
}
