import { describe, expect, it } from 'vitest';
import { cohortHref, parseCohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';

describe('cohort page search parameters', () => {
  it('defaults: every study, flagged first, page 1', () => {
    expect(parseCohortQuery({})).toEqual({
      query: { institution: null, from: null, to: null, model: null, physician: null, scanner: null, sort: 'flags', dir: 'desc', page: 1 },
      ignored: [],
    });
  });

  it('keeps valid filters and reports malformed values instead of failing', () => {
    const { query, ignored } = parseCohortQuery({
      institution: 'inst1',
      from: '2024-02-30x',
      to: '2024-12-31',
      sort: 'itvDice',
      dir: 'sideways',
      page: '0',
      physician: ['Dr A', 'Dr B'],
      scanner: '  ',
    });
    expect(query).toMatchObject({ institution: 'inst1', from: null, to: '2024-12-31', sort: 'itvDice', dir: 'asc', page: 1, physician: 'Dr A', scanner: null });
    expect(ignored).toEqual(['from=2024-02-30x', 'dir=sideways', 'page=0']);
    expect(parseCohortQuery({ sort: 'DROP TABLE' }).ignored).toEqual(['sort=DROP TABLE']);
    expect(parseCohortQuery({ from: '2024-02-31', to: '2024-02-29' })).toMatchObject({ query: { from: null, to: '2024-02-29' }, ignored: ['from=2024-02-31'] });
  });

  it('links keep the filters and change only what is asked; defaults are left out', () => {
    const { query } = parseCohortQuery({ institution: 'a b', sort: 'fpCc', dir: 'desc', page: '3' });
    expect(cohortHref(query, { page: 4 })).toBe('/?institution=a+b&sort=fpCc&dir=desc&page=4');
    expect(cohortHref(query, { sort: 'flags', dir: 'desc', page: 1 })).toBe('/?institution=a+b');
    expect(cohortHref(parseCohortQuery({}).query, {})).toBe('/');
    // A round trip gives the same query.
    const href = cohortHref(query, { from: '2020-01-01' });
    expect(parseCohortQuery(Object.fromEntries(new URL(href, 'http://x').searchParams)).query).toEqual({ ...query, from: '2020-01-01' });
  });
});
