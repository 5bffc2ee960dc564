/** The import result links to the imported study (issue #16.10): it named the study id only. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ImportReport, type ImportResult } from '@/app/(app)/import/import-form';

const result: ImportResult = {
  segmentation: { queued: true, runId: 'run1' },
  studyId: 'cmstudy01',
  pseudonym: 'P-ABCD',
  alreadyImported: false,
  source: 'DICOM',
  seriesCount: 1,
  structureCount: 0,
  series: [],
  structures: [],
  findings: [],
};

describe('import report', () => {
  it('links to the imported study, for a new import and for one already imported', () => {
    for (const r of [result, { ...result, alreadyImported: true, segmentation: null }]) {
      const html = renderToStaticMarkup(createElement(ImportReport, { result: r }));
      const link = html.match(/<a [^>]*data-testid="import-study-link"[^>]*>([^<]*)<\/a>/);
      expect(link?.[0]).toContain('href="/studies/cmstudy01"');
      expect(link?.[1]).toBe('Open the study →');
    }
  });
});
