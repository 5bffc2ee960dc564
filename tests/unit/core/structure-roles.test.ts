/**
 * Structure roles from names (lib/core/structures; docs/structure-roles.md): every ROI name in
 * the real RTSTRUCTs the tests can reach, read with our lib/dicom reader, with its expected role
 * written out; a list of realistic variants; the site rules (order, exact/regex, phase,
 * disabled, bad input); and the finding text.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDicom } from '@/lib/dicom';
import {
  assignStructureRole,
  BUILT_IN_STRUCTURE_RULES,
  describeStructureRoles,
  normaliseStructureName,
  parseSiteRuleInput,
  parseStoredSiteRules,
  phaseFromName,
  SiteRuleError,
  type SiteRuleSet,
  type SiteStructureRule,
  type StructureRole,
} from '@/lib/core/structures';
import { classifyStructure } from '@/lib/server/studies/classify-structure';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const FIX = join(__dirname, '../../fixtures/dicom');

/** ROI names of one RTSTRUCT file, as lib/dicom reads them. */
async function roiNames(file: string): Promise<string[]> {
  const read = await readDicom([file]);
  expect(read.structureSets, `${file} holds one structure set`).toHaveLength(1);
  return read.structureSets[0].rois.map((r) => r.name);
}

type Expect = [name: string, role: StructureRole, extra?: { tg263?: string | null; phase?: number | null; rule?: string; target?: 'primary' | 'nodal' | null }];

const check = ([name, role, extra]: Expect) => {
  const r = assignStructureRole(name);
  expect(r.role, `"${name}" (decided by ${r.ruleId})`).toBe(role);
  expect(r.kind).toBe(role === 'GTV' ? 'GTV' : role === 'ITV' ? 'ITV' : 'OTHER');
  if (extra?.tg263 !== undefined) expect(r.tg263Name, `"${name}" TG-263 name`).toBe(extra.tg263);
  if (extra?.phase !== undefined) expect(r.phasePercent, `"${name}" phase`).toBe(extra.phase);
  if (extra?.rule !== undefined) expect(r.ruleId, `"${name}" rule`).toBe(extra.rule);
  if (extra?.target !== undefined) expect(r.target, `"${name}" target`).toBe(extra.target);
  expect(r.siteRuleVersion).toBeNull();
};

describe('structure roles: ROI names in the RTSTRUCT fixtures of this repository', () => {
  const expected: Record<string, Record<string, Expect[1]>> = {
    'synthetic-axial-rs.dcm': { Marker: 'HELPER', Keyhole: 'UNKNOWN', Nested: 'UNKNOWN', Star: 'UNKNOWN' },
    'synthetic-oblique-rs.dcm': { Oblique: 'UNKNOWN', Marker: 'HELPER' },
  };
  it('lists every RTSTRUCT fixture (a new one needs its names here)', () => {
    expect(
      readdirSync(FIX)
        .filter((f) => f.endsWith('.dcm'))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });
  it.each(Object.keys(expected))('%s: every ROI name has its expected role', async (file) => {
    const names = await roiNames(join(FIX, file));
    expect(names.sort()).toEqual(Object.keys(expected[file]).sort());
    for (const n of names) check([n, expected[file][n]]);
  });
});

const DATA = sharedDataPath();
const haveData = haveSharedData(sharedDataPath('dicompyler', 'rtss.dcm'), sharedDataPath('rtutils', 'mock_data'), sharedDataPath('rtutils', 'empty'));

describe.skipIf(!haveData)(referenceSuite(`structure roles: ROI names in the public RTSTRUCTs (needs ${DATA}; skipped when absent)`), () => {
  const rtutils = { 'ROI-1': 'UNKNOWN', 'ROI-2': 'UNKNOWN', 'ROI-3': 'UNKNOWN', 'ROI-4': 'UNKNOWN' } as const;
  const expected: Record<string, Record<string, Expect>> = {
    'dicompyler/rtss.dcm': {
      // RTROIInterpretedType says GTV for "Breast" and "Tumor Bed Block": the name decides, not it.
      BODY: ['BODY', 'BODY', { tg263: 'External', rule: 'body' }],
      Areola: ['Areola', 'UNKNOWN'],
      Borders: ['Borders', 'UNKNOWN'],
      Breast: ['Breast', 'OAR', { tg263: 'Breast' }],
      Heart: ['Heart', 'OAR', { tg263: 'Heart', rule: 'oar' }],
      'Lt Lung': ['Lt Lung', 'LUNG', { tg263: 'Lung_L', rule: 'lung' }],
      Nodes: ['Nodes', 'UNKNOWN'],
      Scar: ['Scar', 'UNKNOWN'],
      'Tumor Bed': ['Tumor Bed', 'UNKNOWN'],
      'Tumor Bed Block': ['Tumor Bed Block', 'HELPER', { rule: 'helper-keyword' }],
    },
    'rtutils/mock_data/rt.dcm': { 'ROI-1': ['ROI-1', 'UNKNOWN'] },
    'rtutils/mock_data/invalid_reference_rt.dcm': Object.fromEntries(Object.entries(rtutils).map(([n, r]) => [n, [n, r]])),
    'rtutils/mock_data/non_existent_reference_rt.dcm': Object.fromEntries(Object.entries(rtutils).map(([n, r]) => [n, [n, r]])),
    'rtutils/empty/dummy_rt.dcm': Object.fromEntries(Object.entries(rtutils).map(([n, r]) => [n, [n, r]])),
  };
  it.each(Object.keys(expected))('%s: every ROI name has its expected role', async (file) => {
    const names = await roiNames(sharedDataPath(...file.split('/')));
    expect(names.sort()).toEqual(Object.keys(expected[file]).sort());
    for (const n of names) check(expected[file][n]);
  });
});

describe('structure roles: realistic name variants', () => {
  const variants: Expect[] = [
    // GTV, primary and nodal, with and without a phase.
    ['GTV', 'GTV', { rule: 'gtv', phase: null, target: null }],
    ['GTVp', 'GTV', { target: 'primary' }],
    ['GTV_1', 'GTV', { phase: null }],
    ['GTV-1', 'GTV', { phase: null }],
    ['gtv primary', 'GTV', { target: 'primary' }],
    ['GTV_Primary', 'GTV', { target: 'primary' }],
    ['GTVPrimary', 'GTV', { target: 'primary' }],
    ['GTVn', 'GTV', { target: 'nodal' }],
    ['GTV LN', 'GTV', { target: 'nodal' }],
    ['GTV_N1', 'GTV', { target: 'nodal' }],
    ['GTV_Final', 'GTV'],
    ['GTV_50%', 'GTV', { phase: 50 }],
    ['GTV 20 %', 'GTV', { phase: 20 }],
    ['GTV20pct', 'GTV', { phase: 20 }],
    ['GTV_phase_30', 'GTV', { phase: 30 }],
    ['GTV_T50', 'GTV', { phase: 50 }],
    ['GTV_CT00', 'GTV', { phase: 0 }],
    ['GTV_100%', 'GTV', { phase: 0 }],
    ['physician_gtv_phase_20', 'GTV', { phase: 20 }],
    ['GTV phase 3', 'GTV', { phase: null }],
    ['GTV_50', 'GTV', { phase: null }],
    // ITV.
    ['ITV', 'ITV', { rule: 'itv' }],
    ['ITV_final', 'ITV'],
    ['ITVfinal', 'ITV'],
    ['iGTV', 'ITV'],
    ['IGTV_phys', 'ITV'],
    ['ITV_MIP', 'ITV'],
    // CTV and PTV, with doses and suffixes.
    ['CTV', 'CTV', { rule: 'ctv' }],
    ['CTV_60', 'CTV'],
    ['CTVn', 'CTV'],
    ['ICTV', 'CTV'],
    ['CTV_GTV', 'CTV'],
    ['PTV', 'PTV', { rule: 'ptv' }],
    ['PTV_5000', 'PTV'],
    ['PTV60', 'PTV'],
    ['PTV_ITV', 'PTV'],
    ['PTVp_54Gy', 'PTV'],
    // Helpers: z/x/_ prefixes, expansions, optimisation, rings, non-anatomic.
    ['z_GTV', 'HELPER', { rule: 'helper-prefix' }],
    ['zGTV', 'HELPER', { rule: 'helper-prefix' }],
    ['z_ITV', 'HELPER', { rule: 'helper-prefix' }],
    ['zgtv', 'HELPER', { rule: 'helper-prefix' }],
    ['xPTV', 'HELPER', { rule: 'helper-prefix' }],
    ['_GTV', 'HELPER', { rule: 'helper-prefix' }],
    ['GTV+5mm', 'HELPER', { rule: 'helper-expansion' }],
    ['GTV + 5', 'HELPER', { rule: 'helper-expansion' }],
    ['GTV_5mm', 'HELPER', { rule: 'helper-expansion' }],
    ['GTV-3 mm', 'HELPER', { rule: 'helper-expansion' }],
    ['ITV_1cm', 'HELPER', { rule: 'helper-expansion' }],
    ['GTV_opt', 'HELPER', { rule: 'helper-keyword' }],
    ['PTVopt', 'HELPER', { rule: 'helper-keyword' }],
    ['opt_PTV', 'HELPER', { rule: 'helper-keyword' }],
    ['Ring_PTV', 'HELPER', { rule: 'helper-keyword' }],
    ['PTV_Ring2cm', 'HELPER'],
    ['GTV_old', 'HELPER', { rule: 'helper-keyword' }],
    ['GTV copy', 'HELPER', { rule: 'helper-keyword' }],
    ['Avoid_Heart', 'HELPER', { rule: 'helper-keyword' }],
    ['PTV-GTV', 'HELPER', { rule: 'target-minus-target' }],
    ['CouchSurface', 'HELPER', { rule: 'helper-non-anatomic' }],
    ['Couch Interior', 'HELPER', { rule: 'helper-non-anatomic' }],
    ['Fiducial_1', 'HELPER', { rule: 'helper-non-anatomic' }],
    ['Marker1', 'HELPER', { rule: 'helper-non-anatomic' }],
    ['Bolus 5mm', 'HELPER'],
    // Body outline.
    ['External', 'BODY', { tg263: 'External', rule: 'body' }],
    ['BODY', 'BODY', { tg263: 'External' }],
    ['Body', 'BODY'],
    ['Skin', 'BODY'],
    ['EXTERNAL', 'BODY'],
    ['Outline', 'BODY'],
    ['Body_Contour', 'BODY'],
    // Lungs.
    ['Lung_L', 'LUNG', { tg263: 'Lung_L', rule: 'lung' }],
    ['Lung_R', 'LUNG', { tg263: 'Lung_R' }],
    ['Lt Lung', 'LUNG', { tg263: 'Lung_L' }],
    ['Left Lung', 'LUNG', { tg263: 'Lung_L' }],
    ['LUNG_RT', 'LUNG', { tg263: 'Lung_R' }],
    ['RtLung', 'LUNG', { tg263: 'Lung_R' }],
    ['LungL', 'LUNG', { tg263: 'Lung_L' }],
    ['lung-left', 'LUNG', { tg263: 'Lung_L' }],
    ['Lungs', 'LUNG', { tg263: 'Lungs' }],
    ['Lung', 'LUNG', { tg263: 'Lungs' }],
    ['Lung Total', 'LUNG', { tg263: 'Lungs' }],
    ['Total_Lung', 'LUNG', { tg263: 'Lungs' }],
    ['Both Lungs', 'LUNG', { tg263: 'Lungs' }],
    ['Lungs-GTV', 'LUNG', { tg263: 'Lungs-GTV', rule: 'organ-minus-target' }],
    ['Lungs - ITV', 'LUNG', { tg263: 'Lungs-ITV', rule: 'organ-minus-target' }],
    ['Lung-iGTV', 'LUNG', { tg263: 'Lungs-ITV' }],
    ['Lung_L-GTV', 'LUNG', { tg263: 'Lung_L-GTV' }],
    // Organs at risk, TG-263 names.
    ['Heart', 'OAR', { tg263: 'Heart', rule: 'oar' }],
    ['HEART', 'OAR', { tg263: 'Heart' }],
    ['Esophagus', 'OAR', { tg263: 'Esophagus' }],
    ['Oesophagus', 'OAR', { tg263: 'Esophagus' }],
    ['esoph', 'OAR', { tg263: 'Esophagus' }],
    ['SpinalCord', 'OAR', { tg263: 'SpinalCord' }],
    ['Spinal Cord', 'OAR', { tg263: 'SpinalCord' }],
    ['SPINAL_CORD', 'OAR', { tg263: 'SpinalCord' }],
    ['Cord', 'OAR', { tg263: 'SpinalCord' }],
    ['SpinalCord_PRV', 'OAR', { tg263: 'SpinalCord_PRV' }],
    ['SpinalCord_PRV05', 'OAR', { tg263: 'SpinalCord_PRV05' }],
    ['Cord PRV 5mm', 'OAR', { tg263: 'SpinalCord_PRV05' }],
    ['SpinalCanal', 'OAR', { tg263: 'SpinalCanal' }],
    ['Trachea', 'OAR', { tg263: 'Trachea' }],
    ['Proximal Bronchial Tree', 'OAR', { tg263: 'Bronchus' }],
    ['Great Vessels', 'OAR', { tg263: 'GreatVes' }],
    ['Aorta', 'OAR', { tg263: 'A_Aorta' }],
    ['Brachial Plexus R', 'OAR', { tg263: 'BrachialPlex_R' }],
    ['Chestwall', 'OAR', { tg263: 'Chestwall' }],
    ['Chest Wall', 'OAR', { tg263: 'Chestwall' }],
    ['Liver', 'OAR', { tg263: 'Liver' }],
    ['Kidney R', 'OAR', { tg263: 'Kidney_R' }],
    ['BrainStem', 'OAR', { tg263: 'Brainstem' }],
    ['Heart minus PTV', 'OAR', { tg263: 'Heart-PTV', rule: 'organ-minus-target' }],
    // Unknown: not guessed.
    ['Tumour', 'UNKNOWN', { rule: 'unknown' }],
    ['ROI-1', 'UNKNOWN'],
    ['Zygoma', 'UNKNOWN'],
    ['Xiphoid', 'UNKNOWN'],
    ['Scar', 'UNKNOWN'],
  ];
  it('has at least 60 variants, each name once', () => {
    expect(variants.length).toBeGreaterThanOrEqual(60);
    expect(new Set(variants.map((v) => v[0])).size).toBe(variants.length);
  });
  it.each(variants)('%s → %s', (name, role, extra) => check([name, role, extra]));

  it('keeps the GTV/ITV/OTHER kinds of the names the phantom writes ("GTV_<p>%", "ITV")', () => {
    for (const p of [0, 10, 50, 90]) expect(classifyStructure(`GTV_${p}%`)).toMatchObject({ kind: 'GTV', phasePercent: p, rule: 'gtv' });
    expect(classifyStructure('ITV')).toMatchObject({ kind: 'ITV', phasePercent: null, rule: 'itv' });
  });
});

describe('normalisation', () => {
  it('splits separators, CamelCase, target abbreviations and digits into lower-case words, and reads the side', () => {
    expect(normaliseStructureName(' SpinalCord_PRV05 ')).toMatchObject({ raw: 'SpinalCord_PRV05', words: ['spinal', 'cord', 'prv', '05'], laterality: null });
    expect(normaliseStructureName('GTVp')).toMatchObject({ words: ['gtv', 'p'] });
    expect(normaliseStructureName('iGTV')).toMatchObject({ words: ['i', 'gtv'] });
    expect(normaliseStructureName('LUNG_LT')).toMatchObject({ words: ['lung', 'lt'], key: 'lung', laterality: 'L' });
    expect(normaliseStructureName('Right Lung')).toMatchObject({ key: 'lung', laterality: 'R' });
    expect(normaliseStructureName('L')).toMatchObject({ key: 'l', laterality: null });
    expect(normaliseStructureName('GTV_20%')).toMatchObject({ phasePercent: 20 });
  });
  it('reads a phase only where it is unambiguous', () => {
    expect(phaseFromName('GTV_T50')).toBe(50);
    expect(phaseFromName('Vertebra_T10')).toBeNull(); // T10 is a vertebra: bins only in a GTV name
    expect(phaseFromName('GTV_T1')).toBeNull(); // a stage
    expect(phaseFromName('GTV phase 3')).toBeNull();
    expect(phaseFromName('GTV_150%')).toBeNull();
  });
});

describe('site rules', () => {
  const rule = (id: string, over: Partial<SiteStructureRule>): SiteStructureRule => ({
    id,
    match: 'exact',
    pattern: '',
    role: 'UNKNOWN',
    phasePercent: null,
    enabled: true,
    note: null,
    ...over,
  });
  const site: SiteRuleSet = {
    version: 7,
    rules: [
      rule('site-1', { match: 'exact', pattern: 'Tumour', role: 'GTV' }),
      rule('site-2', { match: 'regex', pattern: String.raw`^Tumour_T(\d)0$`, role: 'GTV', phasePercent: 40 }),
      rule('site-3', { match: 'exact', pattern: 'GTV_boost', role: 'HELPER' }),
      rule('site-4', { match: 'exact', pattern: 'Heart', role: 'HELPER', enabled: false }),
      rule('site-5', { match: 'regex', pattern: '^ao', role: 'OAR' }),
    ],
  };

  it('come before the built-in rules, in order; exact ignores case and spaces around; disabled rules are skipped', () => {
    expect(assignStructureRole(' tumour ', site)).toMatchObject({ role: 'GTV', kind: 'GTV', ruleId: 'site-1', siteRuleVersion: 7, phasePercent: null });
    expect(assignStructureRole('Tumour_T40', site)).toMatchObject({ role: 'GTV', ruleId: 'site-2', phasePercent: 40 });
    expect(assignStructureRole('GTV_boost', site)).toMatchObject({ role: 'HELPER', kind: 'OTHER', ruleId: 'site-3' });
    expect(assignStructureRole('Heart', site)).toMatchObject({ role: 'OAR', ruleId: 'oar', siteRuleVersion: null });
    expect(assignStructureRole('aorta', site)).toMatchObject({ role: 'OAR', ruleId: 'site-5', tg263Name: 'A_Aorta' });
    expect(assignStructureRole('Tumour bed', site)).toMatchObject({ role: 'UNKNOWN', ruleId: 'unknown' });
    expect(assignStructureRole('Tumour')).toMatchObject({ role: 'UNKNOWN' });
  });

  it('refuse bad input with a message naming the field', () => {
    const bad = (input: Record<string, unknown>, message: RegExp) => expect(() => parseSiteRuleInput(input)).toThrow(message);
    bad({ match: 'glob', pattern: 'x', role: 'GTV' }, /Match must be "exact" or "regex", not "glob"/);
    bad({ match: 'exact', pattern: '  ', role: 'GTV' }, /Pattern is empty/);
    bad({ match: 'exact', pattern: 'x'.repeat(201), role: 'GTV' }, /Pattern is 201 characters; at most 200/);
    bad({ match: 'regex', pattern: '(GTV', role: 'GTV' }, /"\(GTV" is not a valid regular expression/);
    bad({ match: 'regex', pattern: '^(a+)+$', role: 'GTV' }, /repeats a group that itself repeats/);
    bad({ match: 'exact', pattern: 'x', role: 'TUMOUR' }, /Role must be one of GTV, ITV, CTV, PTV, BODY, LUNG, OAR, HELPER, UNKNOWN, not "TUMOUR"/);
    bad({ match: 'exact', pattern: 'x', role: 'GTV', phasePercent: '120' }, /Phase "120" is not a percent from 0 to 99/);
    bad({ match: 'exact', pattern: 'x', role: 'ITV', phasePercent: 20 }, /A phase is for a per-phase GTV only; this rule's role is ITV/);
    expect(parseSiteRuleInput({ match: 'regex', pattern: ' ^GTV_T\\d0$ ', role: 'GTV', phasePercent: '30%', note: ' ' })).toEqual({
      match: 'regex',
      pattern: '^GTV_T\\d0$',
      role: 'GTV',
      phasePercent: 30,
      note: null,
    });
    expect(() => parseSiteRuleInput({ match: 'exact', pattern: 'x', role: 'X' })).toThrow(SiteRuleError);
  });

  it('read back from a stored version, or say which version and rule is broken', () => {
    expect(parseStoredSiteRules(3, [{ id: 'site-1', enabled: false, match: 'exact', pattern: 'T', role: 'GTV', phasePercent: null, note: null }])).toEqual([
      { id: 'site-1', enabled: false, match: 'exact', pattern: 'T', role: 'GTV', phasePercent: null, note: null },
    ]);
    expect(() => parseStoredSiteRules(3, {})).toThrow('Structure rules version 3 is not a list of rules.');
    expect(() => parseStoredSiteRules(4, [{ id: 'site-2', enabled: true, match: 'exact', pattern: 'T', role: 'X' }])).toThrow(
      /^Structure rules version 4, rule site-2: Role must be one of/,
    );
  });
});

describe('the STRUCTURE_ROLES finding text', () => {
  it('lists each structure under its role with the TG-263 name and the deciding rule, and names the site rules version', () => {
    const site: SiteRuleSet = {
      version: 2,
      rules: [{ id: 'site-1', match: 'exact', pattern: 'Tumour', role: 'GTV', phasePercent: null, enabled: true, note: null }],
    };
    const names = ['GTV_50%', 'ITV', 'Tumour', 'Lt Lung', 'Heart', 'zPTV', 'Scar'];
    expect(
      describeStructureRoles(
        names.map((n) => assignStructureRole(n, site)),
        2,
      ),
    ).toBe(
      'Structure roles (site rules version 2, then the built-in rules): GTV: "GTV_50%" (phase 50%) [gtv], "Tumour" (primary) [site-1 v2]; ITV: "ITV" [itv]; LUNG: "Lt Lung" = Lung_L [lung]; OAR: "Heart" [oar]; HELPER: "zPTV" [helper-prefix]; UNKNOWN: "Scar" [unknown]. Only the GTV and ITV roles are compared with the machine contours; the rule that decided is in brackets.',
    );
    expect(describeStructureRoles([assignStructureRole('GTV')], null)).toMatch(
      /^Structure roles \(built-in rules; no site rules saved\): GTV: "GTV" \[gtv\]\./,
    );
  });
  it('built-in rules have unique ids and end with the catch-all', () => {
    const ids = BUILT_IN_STRUCTURE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe('unknown');
  });
});
