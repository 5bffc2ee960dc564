/**
 * The cohort page's dose view (app/(app)/_cohort/cohort-dose.tsx, lib/core/dose/cohort-dose.ts):
 * per institution and for all, the studies with a dose, the median FP volume, the median fraction
 * of it below 95 % of the prescription and the studies with any; nothing while no study has a dose.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CohortDose } from '@/app/(app)/_cohort/cohort-dose';
import type { CohortData } from '@/app/(app)/_cohort/load-cohort';
import { cohortDoseByInstitution, type CohortDoseCase } from '@/lib/core/dose/cohort-dose';

const render = async (cases: CohortDoseCase[]) => {
  const el = await CohortDose({ data: Promise.resolve({ doseRows: cohortDoseByInstitution(cases) } as unknown as CohortData) });
  return el === null ? '' : renderToStaticMarkup(el);
};

describe('cohort page: dose view', () => {
  it('shows nothing while no study has a dose', async () => {
    expect(await render([{ institution: 'A' }, { institution: 'B', hasDose: false, fpDoseCc: null }])).toBe('');
  });

  it('one row per institution and the total; medians over studies with an FP dose row; the fraction only where there is FP volume and a prescription', async () => {
    const cases: CohortDoseCase[] = [
      { institution: 'Beta', hasDose: true, fpDoseCc: 4, fpBelow95PctRxCc: 1 },
      { institution: 'Beta', hasDose: true, fpDoseCc: 0, fpBelow95PctRxCc: null }, // empty FP region
      { institution: 'Beta', hasDose: true, fpDoseCc: null, fpBelow95PctRxCc: null }, // no run yet
      { institution: 'Alpha', hasDose: true, fpDoseCc: 2, fpBelow95PctRxCc: 0 },
      { institution: 'Alpha', hasDose: false },
    ];
    const rows = cohortDoseByInstitution(cases);
    expect(rows.map((r) => r.institution)).toEqual(['Alpha', 'Beta', 'All institutions']);
    expect(rows[1]).toEqual({ institution: 'Beta', studies: 3, withDose: 3, withFpDose: 2, medianFpCc: 2, medianFpFractionBelow95: 0.25, withFpBelow95: 1 });
    expect(rows[2]).toMatchObject({ studies: 5, withDose: 4, withFpDose: 3, medianFpCc: 2, medianFpFractionBelow95: 0.125, withFpBelow95: 1 });
    const html = await render(cases);
    expect(html).toContain('data-testid="cohort-dose"');
    expect(html.match(/data-testid="cohort-dose-row"/g)).toHaveLength(3);
    expect(html).toContain('<th scope="row">Beta</th><td>3</td><td>3</td><td>2.00</td><td>25 %</td><td>1 of 2</td>');
    expect(html).toContain('<th scope="row">Alpha</th><td>2</td><td>1</td><td>2.00</td><td>0 %</td><td>0 of 1</td>');
    // The caption says what a dash in the fraction column means (the e2e demo's FP regions are empty).
    expect(html).toContain('over those with an FP volume above 0 and a prescription (— when no study has both)');
  });
});
