import { describe, expect, it } from 'vitest';
import { checkObserverName, chooseReferenceObserver, observerSuffix, structureSetObserver } from '@/lib/server/observers/identify-observers';
import { classifyStructure } from '@/lib/server/studies/classify-structure';

const kind = (n: string) => classifyStructure(n).kind;

describe('observerSuffix', () => {
  it.each([
    ['GTV_dr2', 'GTV', 'dr2'],
    ['ITV (obs B)', 'ITV', 'obsB'],
    ['ITV (obs b)', 'ITV', 'obsB'],
    ['GTV obs B', 'GTV', 'obsB'],
    ['GTV_20%_dr2', 'GTV_20%', 'dr2'],
    ['GTV-observer-3', 'GTV', 'obs3'],
    ['iGTV [Dr. A]', 'iGTV', 'drA'],
  ])('%s is %s of observer %s', (name, base, observer) => {
    expect(observerSuffix(name, kind)).toEqual({ base, observer });
  });

  it.each(['GTV', 'GTV_20%', 'Heart_Drain', 'Lung_obs2', 'PTV_dr2', 'GTV_draft', 'GTV+5mm'])('%s has no observer suffix', (name) => {
    expect(observerSuffix(name, kind)).toBeNull();
  });
});

describe('structure-set observers', () => {
  it('reads OperatorsName, blank as none', () => {
    expect(structureSetObserver(' SYNTH^ADA^DR ')).toBe('SYNTH^ADA^DR');
    expect(structureSetObserver('  ')).toBeNull();
    expect(structureSetObserver(undefined)).toBeNull();
  });

  it('chooses the reference: unnamed sets, then the referring physician, then the first', () => {
    expect(chooseReferenceObserver(['A', null, 'B'], 'B')).toBeNull();
    expect(chooseReferenceObserver(['SYNTH^BORIS^DR', 'SYNTH^ADA^DR'], 'Synth^Ada^Dr')).toBe('SYNTH^ADA^DR');
    expect(chooseReferenceObserver(['B', 'A'], null)).toBe('B');
    expect(chooseReferenceObserver([], 'A')).toBeNull();
  });
});

describe('checkObserverName (iseg-qa import --observer, the Import page)', () => {
  it('collapses whitespace; blank is none', () => {
    expect(checkObserverName('  Dr   Smith ')).toEqual({ name: 'Dr Smith' });
    expect(checkObserverName('   ')).toEqual({ name: undefined });
    expect(checkObserverName(undefined)).toEqual({ name: undefined });
    expect(checkObserverName('x'.repeat(64))).toEqual({ name: 'x'.repeat(64) });
  });
  it('refuses over 64 characters, control characters and a backslash, saying why', () => {
    expect(checkObserverName('x'.repeat(65))).toMatchObject({ error: expect.stringMatching(/is 65 characters long; at most 64/) });
    expect(checkObserverName('Dr\\Smith')).toMatchObject({ error: expect.stringMatching(/control character or a backslash/) });
    expect(checkObserverName('Dr\u0000Smith')).toMatchObject({ error: expect.stringMatching(/control character/) });
  });
});
