/**
 * PHI planted in DICOM free text for the identifier scans (role-matrix.spec.ts,
 * researcher-identifiers.spec.ts): the demo cohort's DICOM carries harmless descriptions, so two
 * seeded studies (the first by id, which the role matrix fills into /studies/[id]; and the first
 * patient created, a demo patient, which researcher-identifiers exports: a pseudonym is random, so
 * the first by pseudonym may be a small study another spec uploaded) get a StudyDescription with the patient's
 * name, MRN and birth date, and their series descriptions and ROI names a marker and the MRN, as
 * a planning system would let anyone type. Idempotent: a spec that runs after another finds the
 * text planted and leaves it.
 *
 * `needles` are what no role without identifiers:view may ever receive: the markers, and the
 * physicians' names (ReferringPhysicianName, shown to those roles only as a keyed pseudonym).
 */
import pg from 'pg';

export const FREE_TEXT_MARKERS = { study: 'FREETEXT-STUDY-PHI', series: 'FREETEXT-SERIES-PHI', roi: 'FREETEXT-ROI-PHI' } as const;

export interface PlantedFreeText {
  studyIds: string[];
  /** The planted study descriptions (each also holds the patient's name, MRN and birth date). */
  descriptions: string[];
  needles: string[];
}

export async function plantFreeText(): Promise<PlantedFreeText> {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    const targets = (
      await client.query<{ id: string }>(
        `(SELECT s.id FROM "Study" s ORDER BY s.id LIMIT 1)
         UNION (SELECT s.id FROM "Study" s JOIN "Patient" p ON p.id = s."patientId" ORDER BY p."createdAt", s."importedAt", s.id LIMIT 1)`,
      )
    ).rows.map((r) => r.id);
    const m = FREE_TEXT_MARKERS;
    await client.query('BEGIN');
    await client.query(
      `UPDATE "Study" s SET description = 'CT THORAX ' || coalesce(pi.name, '') || ' ' || coalesce(pi.mrn, '') || ' DOB ' || coalesce(to_char(pi."birthDate", 'YYYY-MM-DD'), '') || ' ${m.study}'
       FROM "PatientIdentity" pi WHERE pi."patientId" = s."patientId" AND s.id = ANY($1) AND coalesce(s.description, '') NOT LIKE '%${m.study}%'`,
      [targets],
    );
    await client.query(
      `UPDATE "ImageSeries" SET description = coalesce(description, '') || ' ${m.series}' WHERE "studyId" = ANY($1) AND coalesce(description, '') NOT LIKE '%${m.series}%'`,
      [targets],
    );
    await client.query(
      `UPDATE "PhysicianStructure" ps SET name = ps.name || ' ${m.roi} ' || coalesce(pi.mrn, '')
       FROM "Study" s JOIN "PatientIdentity" pi ON pi."patientId" = s."patientId"
       WHERE s.id = ps."studyId" AND ps."studyId" = ANY($1) AND ps.name NOT LIKE '%${m.roi}%'`,
      [targets],
    );
    await client.query('COMMIT');
    const descriptions = (await client.query<{ description: string }>(`SELECT description FROM "Study" WHERE id = ANY($1)`, [targets])).rows.map(
      (r) => r.description,
    );
    const physicians = (await client.query<{ v: string }>(`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL`)).rows.map((r) => r.v);
    return { studyIds: targets, descriptions, needles: [...Object.values(m), ...physicians].filter((s) => s.length >= 6) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
