import { describe, expect, it } from 'vitest';
import { referenceStructureFinding } from '../../../lib/server/studies/classify-structure';

const s = (name: string, kind: 'GTV' | 'ITV' | 'OTHER', phasePercent: number | null = null) => ({ name, kind, phasePercent });

describe('referenceStructureFinding', () => {
  it('names the reference GTVs (with the number of phases) and the ITV', () => {
    const f = referenceStructureFinding([s('GTV_0%', 'GTV', 0), s('GTV_50%', 'GTV', 50), s('ITV', 'ITV'), s('BODY', 'OTHER')]);
    expect(f).toEqual({
      code: 'REFERENCE_STRUCTURES',
      severity: 'info',
      message: 'Reference (physician) structures the machine contours are measured against: GTV "GTV_0%", "GTV_50%" (on 2 phases); ITV "ITV".',
    });
  });

  it('says when only one kind is there, or when two read as an ITV', () => {
    expect(referenceStructureFinding([s('GTVp', 'GTV')]).message).toMatch(/GTV "GTVp"\. No ITV: only the GTVs are compared\.$/);
    expect(referenceStructureFinding([s('ITV', 'ITV'), s('iGTV', 'ITV')]).message).toContain('2 structures read as an ITV: the first is used');
  });

  it('without a GTV or ITV: a warning listing the names and saying what to do', () => {
    const f = referenceStructureFinding(['BODY', 'CTV', 'BrainStem', 'PTV', 'Marker1'].map((n) => s(n, 'OTHER')));
    expect(f.code).toBe('NO_REFERENCE_STRUCTURE');
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(
      /^None of the 5 physician structures is recognised as the GTV or ITV by its name \("BODY", "CTV", "BrainStem", "PTV", "Marker1"\)/,
    );
    expect(f.message).toContain('until a physicist chooses the reference structure in the study viewer');
    const many = referenceStructureFinding(Array.from({ length: 20 }, (_, i) => s(`OAR${i}`, 'OTHER')));
    expect(many.message).toContain('"OAR11", … (20 in all)');
  });

  it('without any structure: says to import the RTSTRUCT', () => {
    expect(referenceStructureFinding([])).toMatchObject({
      code: 'NO_REFERENCE_STRUCTURE',
      severity: 'warning',
      message: expect.stringContaining('Import the physician’s RTSTRUCT'),
    });
  });
});
