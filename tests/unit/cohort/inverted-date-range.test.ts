/**
 * An inverted study-date range in the cohort filter (issue #16.10) showed an empty cohort without
 * a word. The page now says the range is backwards and links to it swapped.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { InvertedDateRange, isInvertedDateRange } from '@/app/(app)/_cohort/inverted-date-range';
import { parseCohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';

const render = (sp: Record<string, string>) => renderToStaticMarkup(createElement(InvertedDateRange, { query: parseCohortQuery(sp).query }));

describe('cohort filter: inverted date range', () => {
  it('says the range is backwards and links to it swapped, keeping the other filters', () => {
    const html = render({ from: '2025-03-01', to: '2024-01-31', scanner: 'Siemens', page: '3' });
    expect(html).toContain('role="alert"');
    expect(html).toContain('“from” 2025-03-01 is after “to” 2024-01-31, so no study can match');
    expect(html).toContain('href="/?from=2024-01-31&amp;to=2025-03-01&amp;scanner=Siemens"');
  });
  it('says nothing for a proper range, one day, or an open end', () => {
    const ranges: Record<string, string>[] = [
      { from: '2024-01-01', to: '2025-01-01' },
      { from: '2024-05-05', to: '2024-05-05' },
      { from: '2025-01-01' },
      { to: '2020-01-01' },
      {},
    ];
    for (const sp of ranges) {
      expect(render(sp), JSON.stringify(sp)).toBe('');
      expect(isInvertedDateRange(parseCohortQuery(sp).query)).toBe(false);
    }
  });
});
