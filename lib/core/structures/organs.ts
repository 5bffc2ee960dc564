/**
 * Organ names the role rules recognise, by normalised key (the lower-case words of a name joined
 * with nothing, side word removed: "Spinal Cord" → "spinalcord"; normalise-structure-name.ts),
 * with the TG-263 name they map to. Paired organs get the side as a "_L"/"_R" suffix. Pure data.
 *
 * The TG-263 names are the report's (AAPM Report 263, 2018) for the organs a thoracic or
 * abdominal plan usually has; a site rule (docs/structure-roles.md) covers anything else.
 */
export interface OrganEntry {
  /** TG-263 name without the side suffix. */
  tg263: string;
  role: 'OAR' | 'LUNG' | 'BODY';
  /** Paired organ: a side in the name adds "_L" / "_R". */
  paired?: boolean;
  /** Name to use when a paired organ's name gives no side (the lungs: "Lungs"). */
  unsided?: string;
}

const entries: [string[], OrganEntry][] = [
  // The body outline (TG-263 "External").
  [
    [
      'body',
      'external',
      'ext',
      'skin',
      'outline',
      'bodyoutline',
      'bodycontour',
      'externalcontour',
      'externalbody',
      'bodyexternal',
      'patient',
      'patientoutline',
      'skinsurface',
      'bodysurface',
    ],
    { tg263: 'External', role: 'BODY' },
  ],
  // Lungs: one side, or both.
  [['lung'], { tg263: 'Lung', role: 'LUNG', paired: true, unsided: 'Lungs' }],
  [
    [
      'lungs',
      'lungtotal',
      'totallung',
      'totallungs',
      'lungstotal',
      'bothlungs',
      'lungsboth',
      'lungboth',
      'lungsbilat',
      'bilatlungs',
      'lungbilat',
      'bilaterallungs',
      'lungsbilateral',
      'lungscombined',
      'combinedlungs',
      'lungsum',
      'sumlungs',
      'wholelung',
      'wholelungs',
    ],
    { tg263: 'Lungs', role: 'LUNG' },
  ],
  // Thorax.
  [['heart', 'cardiac'], { tg263: 'Heart', role: 'OAR' }],
  [['pericardium'], { tg263: 'Pericardium', role: 'OAR' }],
  [['esophagus', 'oesophagus', 'esoph', 'oesoph', 'esophag', 'oesophag', 'eso'], { tg263: 'Esophagus', role: 'OAR' }],
  [['spinalcord', 'cord', 'spinecord', 'spinalchord', 'chord'], { tg263: 'SpinalCord', role: 'OAR' }],
  [['spinalcanal', 'canal'], { tg263: 'SpinalCanal', role: 'OAR' }],
  [['trachea'], { tg263: 'Trachea', role: 'OAR' }],
  [
    ['bronchus', 'bronchi', 'mainbronchus', 'proxbronchus', 'proximalbronchus', 'bronchialtree', 'proxbronchialtree', 'proximalbronchialtree', 'pbt'],
    { tg263: 'Bronchus', role: 'OAR' },
  ],
  [['greatvessels', 'greatvessel', 'greatves'], { tg263: 'GreatVes', role: 'OAR' }],
  [['aorta'], { tg263: 'A_Aorta', role: 'OAR' }],
  [['brachialplexus', 'brachialplex', 'plexus', 'bplexus'], { tg263: 'BrachialPlex', role: 'OAR', paired: true }],
  [['chestwall', 'cw'], { tg263: 'Chestwall', role: 'OAR' }],
  [['breast'], { tg263: 'Breast', role: 'OAR', paired: true }],
  // Abdomen and pelvis.
  [['liver'], { tg263: 'Liver', role: 'OAR' }],
  [['stomach'], { tg263: 'Stomach', role: 'OAR' }],
  [['spleen'], { tg263: 'Spleen', role: 'OAR' }],
  [['duodenum'], { tg263: 'Duodenum', role: 'OAR' }],
  [['kidney'], { tg263: 'Kidney', role: 'OAR', paired: true, unsided: 'Kidneys' }],
  [['kidneys'], { tg263: 'Kidneys', role: 'OAR' }],
  [['bowel'], { tg263: 'Bowel', role: 'OAR' }],
  [['smallbowel', 'bowelsmall'], { tg263: 'Bowel_Small', role: 'OAR' }],
  [['largebowel', 'bowellarge'], { tg263: 'Bowel_Large', role: 'OAR' }],
  [['colon'], { tg263: 'Colon', role: 'OAR' }],
  [['bladder'], { tg263: 'Bladder', role: 'OAR' }],
  [['rectum'], { tg263: 'Rectum', role: 'OAR' }],
  [['femurhead', 'femoralhead', 'headfemur', 'femur'], { tg263: 'Femur_Head', role: 'OAR', paired: true }],
  // Head and neck.
  [['brain'], { tg263: 'Brain', role: 'OAR' }],
  [['brainstem'], { tg263: 'Brainstem', role: 'OAR' }],
  [['parotid'], { tg263: 'Parotid', role: 'OAR', paired: true }],
  [['larynx'], { tg263: 'Larynx', role: 'OAR' }],
  [['thyroid'], { tg263: 'Glnd_Thyroid', role: 'OAR' }],
  [['mandible'], { tg263: 'Bone_Mandible', role: 'OAR' }],
  [['opticchiasm', 'chiasm'], { tg263: 'OpticChiasm', role: 'OAR' }],
  [['opticnerve', 'opticnrv'], { tg263: 'OpticNrv', role: 'OAR', paired: true }],
  [['eye', 'globe'], { tg263: 'Eye', role: 'OAR', paired: true }],
  [['lens'], { tg263: 'Lens', role: 'OAR', paired: true }],
  [['cochlea'], { tg263: 'Cochlea', role: 'OAR', paired: true }],
];

const ORGANS = new Map<string, OrganEntry>();
for (const [keys, entry] of entries) for (const k of keys) ORGANS.set(k, entry);

export function organByKey(key: string): OrganEntry | undefined {
  return ORGANS.get(key);
}

/** The TG-263 name of an organ with its side ("Lung" + L → "Lung_L"; no side → "Lungs"). */
export function organName(entry: OrganEntry, side: 'L' | 'R' | null): string {
  if (!entry.paired) return entry.tg263;
  if (side) return `${entry.tg263}_${side}`;
  return entry.unsided ?? entry.tg263;
}
