/**
 * The presenter heading showed the pseudonym twice (issue #16.10): the review page's own heading
 * and the embedded viewer's. Embedded with showHeading={false}, the viewer names the study no more.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ViewerIdentity } from '@/components/viewer/viewer-identity';

const count = (html: string, s: string) => html.split(s).length - 1;
const pseudonymOnly = { identity: null, study: { pseudonym: 'P-7Q2X', description: null } } as never;
const identified = { identity: { name: 'DOE^JANE', mrn: 'M1', studyDate: '2024-03-02' }, study: { pseudonym: 'P-7Q2X', description: 'Lung 4D' } } as never;

describe('viewer heading', () => {
  it('on the study page names the study (pseudonym, or name and MRN with the pseudonym below)', () => {
    expect(count(renderToStaticMarkup(createElement(ViewerIdentity, { view: pseudonymOnly, phases: 10 })), 'P-7Q2X')).toBe(1);
    const html = renderToStaticMarkup(createElement(ViewerIdentity, { view: identified, phases: 1 }));
    expect(html).toContain('DOE^JANE');
    expect(html).toContain('Pseudonym P-7Q2X');
  });
  it('embedded in the presenter, whose heading already names the case, leaves the pseudonym and name out', () => {
    for (const view of [pseudonymOnly, identified]) {
      const html = renderToStaticMarkup(createElement(ViewerIdentity, { view, phases: 10, showHeading: false }));
      expect(count(html, 'P-7Q2X')).toBe(0);
      expect(html).not.toContain('DOE^JANE');
      expect(html).not.toContain('<h1>');
      expect(html).toContain('4D CT, 10 phases');
    }
  });
});
