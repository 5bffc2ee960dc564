/**
 * The names lib/server/deid/present-free-text.ts generates for DICOM free text: fixed
 * vocabulary plus numbers, so no substring of a planted ROI name, series or study description or
 * physician name can come through, whatever was typed; the identified view keeps the text.
 */
import { describe, expect, it } from 'vitest';
import {
  normalisedInterpretedType,
  normalisedSeriesDescription,
  normalisedStructureName,
  normalisedStructureNames,
  physicianPseudonym,
  presentPhysicianName,
  presentSeriesDescription,
  presentStructureName,
  presentStudyDescription,
  structureRole,
} from '../../../lib/server/deid/present-free-text';

const PHI = 'DOE^JANE MRN-777111 DOB 1950-01-02';
const fragments = ['DOE', 'JANE', '777111', '1950', 'MRN', 'DOB'];
const clean = (s: string | null) => fragments.filter((f) => (s ?? '').toUpperCase().includes(f));

describe('structure names', () => {
  it('a GTV is "GTV" and its phase, an ITV "ITV", whatever its ROI name says', () => {
    expect(normalisedStructureName({ kind: 'GTV', name: `GTV_30% ${PHI}`, phasePercent: 30 })).toBe('GTV 30%');
    expect(normalisedStructureName({ kind: 'GTV', name: `GTV ${PHI}`, phasePercent: null, phaseIndex: 2 })).toBe('GTV 20%');
    expect(normalisedStructureName({ kind: 'GTV', name: PHI, phasePercent: null, phaseIndex: null })).toBe('GTV');
    expect(normalisedStructureName({ kind: 'GTV', name: 'x', phasePercent: 12.5 })).toBe('GTV 12.5%');
    expect(normalisedStructureName({ kind: 'ITV', name: `ITV ${PHI}`, phasePercent: 0 })).toBe('ITV');
  });

  it('other structures by their role from a fixed list, else the interpreted type, else OTHER', () => {
    const role = (name: string, interpretedType: string | null = null) => structureRole({ kind: 'OTHER', name, interpretedType });
    expect(role('BODY')).toBe('BODY');
    expect(role('External')).toBe('BODY');
    expect(role('Lung_L')).toBe('LUNG_L');
    expect(role('Lung R')).toBe('LUNG_R');
    expect(role('Lungs')).toBe('LUNGS');
    expect(role('SpinalCord')).toBe('SPINAL_CORD');
    expect(role('Esophagus')).toBe('ESOPHAGUS');
    expect(role('PTV_60')).toBe('PTV');
    expect(role('GTV+5mm')).toBe('TARGET_HELPER');
    expect(role(PHI)).toBe('OTHER');
    expect(role(PHI, 'ORGAN')).toBe('ORGAN');
    expect(role(PHI, 'EXTERNAL')).toBe('BODY');
    expect(role(PHI, 'DOE JANE')).toBe('OTHER'); // a CS that is not a defined term is not shown
    expect(normalisedInterpretedType({ kind: 'OTHER', interpretedType: 'DOE JANE' })).toBe('ORGAN');
    expect(normalisedInterpretedType({ kind: 'ITV', interpretedType: null })).toBe('GTV');
    expect(normalisedInterpretedType({ kind: 'OTHER', interpretedType: 'avoidance' })).toBe('AVOIDANCE');
  });

  it('names within one structure set are unique', () => {
    expect(
      normalisedStructureNames([
        { kind: 'GTV', name: 'GTV a', phasePercent: 30 },
        { kind: 'GTV', name: 'GTV b', phasePercent: 30 },
        { kind: 'OTHER', name: 'x' },
        { kind: 'OTHER', name: 'y' },
        { kind: 'ITV', name: 'ITV' },
      ]),
    ).toEqual(['GTV 30%', 'GTV 30% 2', 'OTHER', 'OTHER 2', 'ITV']);
  });

  it("another observer's structures carry the observer's label; the reference observer's keep the plain name", () => {
    const list = [
      { kind: 'GTV' as const, name: 'GTV', phasePercent: 30, observer: 'Dr A', referenceObserver: true },
      { kind: 'GTV' as const, name: 'GTV', phasePercent: 30, observer: 'Dr B', referenceObserver: false },
      { kind: 'ITV' as const, name: 'ITV_dr2', observer: 'dr2', referenceObserver: false },
      { kind: 'ITV' as const, name: 'ITV', observer: null, referenceObserver: true },
    ];
    expect(normalisedStructureNames(list, { observerLabel: (o) => `Physician ${o.replace(/\W/g, '').toUpperCase()}` })).toEqual([
      'GTV 30%',
      'GTV 30% (Physician DRB)',
      'ITV (Physician DR2)',
      'ITV',
    ]);
    // Without a label (as before observers): numbered.
    expect(normalisedStructureNames(list)).toEqual(['GTV 30%', 'GTV 30% 2', 'ITV', 'ITV 2']);
  });

  it('no generated name holds any part of planted text', () => {
    for (const kind of ['GTV', 'ITV', 'OTHER'] as const) {
      for (const name of [PHI, `GTV ${PHI}`, `BODY ${PHI}`, `Lung_L ${PHI} 30%`]) {
        expect(clean(normalisedStructureName({ kind, name, phasePercent: 30, interpretedType: PHI.slice(0, 16) })), `${kind} ${name}`).toEqual([]);
      }
    }
  });
});

describe('series, study, physician', () => {
  it('a series is its phase or "CT"', () => {
    expect(normalisedSeriesDescription({ phaseIndex: 3, phasePercent: 30 })).toBe('4D CT phase 30%');
    expect(normalisedSeriesDescription({ phaseIndex: 3, phasePercent: null })).toBe('4D CT phase 30%');
    expect(normalisedSeriesDescription({ phaseIndex: null, phasePercent: null })).toBe('CT');
  });

  it('without identifiers:view every field is generated; with it, as stored', () => {
    const series = { phaseIndex: 0, phasePercent: 0, description: `CT 0% ${PHI}` };
    expect(presentSeriesDescription(series, { identified: false })).toBe('4D CT phase 0%');
    expect(presentSeriesDescription(series, { identified: true })).toBe(series.description);
    expect(presentStudyDescription(`CT THORAX ${PHI}`, { identified: false })).toBe('CT study');
    expect(presentStudyDescription(null, { identified: false })).toBeNull();
    expect(presentStudyDescription(`CT THORAX ${PHI}`, { identified: true })).toBe(`CT THORAX ${PHI}`);
    const roi = { kind: 'GTV' as const, name: `GTV ${PHI}`, phasePercent: 50 };
    expect(presentStructureName(roi, { identified: false })).toBe('GTV 50%');
    expect(presentStructureName(roi, { identified: true })).toBe(roi.name);
  });

  it('physicians: a keyed pseudonym, stable per name and secret, different between secrets and names', () => {
    const a = physicianPseudonym('secret-1', 'HOUSE^GREGORY^DR');
    expect(a).toMatch(/^Physician [A-Z2-9]{6}$/);
    expect(physicianPseudonym('secret-1', 'HOUSE^GREGORY^DR')).toBe(a);
    expect(physicianPseudonym('secret-1', ' HOUSE^GREGORY^DR ')).toBe(a);
    expect(physicianPseudonym('secret-2', 'HOUSE^GREGORY^DR')).not.toBe(a);
    expect(physicianPseudonym('secret-1', 'CUDDY^LISA^DR')).not.toBe(a);
    expect(presentPhysicianName('HOUSE^GREGORY^DR', { identified: false, secret: () => 'secret-1' })).toBe(a);
    expect(presentPhysicianName('HOUSE^GREGORY^DR', { identified: true, secret: () => 'unused' })).toBe('HOUSE^GREGORY^DR');
    expect(presentPhysicianName('  ', { identified: false, secret: () => 'secret-1' })).toBeNull();
  });
});
