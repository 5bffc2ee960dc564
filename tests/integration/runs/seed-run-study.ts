/** A small synthetic 4D CT study stored as a test would import it: CT per phase, physician GTVs and ITV. */
import type { TestDatabase } from '../helpers/test-database';
import { putNiftiVolume, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { generatePatient, samplePatientSpec } from '../../../lib/core/phantom';

export async function seedRunStudy(
  t: Pick<TestDatabase, 'db'>,
  store: VolumeStore,
  label: string,
  size: { dims: [number, number, number]; spacingMm: [number, number, number]; phasePercents: number[] } = {
    dims: [40, 40, 20],
    spacingMm: [4, 4, 5],
    phasePercents: [0, 50],
  },
) {
  const patient = generatePatient(samplePatientSpec('run-test', 3), size);
  const inst = await t.db.institution.upsert({ where: { name: 'Test' }, create: { name: 'Test' }, update: {} });
  const p = await t.db.patient.create({ data: { pseudonym: `P-${label}`, institutionId: inst.id } });
  const study = await t.db.study.create({
    data: {
      patientId: p.id,
      studyInstanceUid: `2.25.${Date.now()}${label.length}${Math.floor(Math.random() * 1e6)}`,
      contentHash: `hash-${label}-${Math.random()}`,
    },
  });
  for (let i = 0; i < patient.phases.length; i++) {
    const ph = patient.phases[i];
    const ct = await putNiftiVolume(store, ph.ct!, { intent: 'image' });
    const series = await t.db.imageSeries.create({
      data: {
        studyId: study.id,
        seriesInstanceUid: `2.25.${i}${Date.now()}${label.length}${Math.floor(Math.random() * 1e6)}`,
        modality: 'CT',
        phaseIndex: i,
        phasePercent: ph.phasePercent,
        dims: [...ph.ct!.grid.dims],
        spacingMm: [...ph.ct!.grid.spacingMm],
        originMm: [...ph.ct!.grid.originMm],
        direction: ph.ct!.grid.direction,
        volumeKey: ct.key,
        volumeSha256: ct.sha256,
      },
    });
    const gtv = await putNiftiVolume(store, ph.physicianGtv, { intent: 'mask' });
    await t.db.physicianStructure.create({
      data: { studyId: study.id, seriesId: series.id, name: `GTV_${ph.phasePercent}`, kind: 'GTV', phaseIndex: i, maskKey: gtv.key, maskSha256: gtv.sha256 },
    });
    if (i === 0) {
      const itv = await putNiftiVolume(store, patient.physicianItv, { intent: 'mask' });
      await t.db.physicianStructure.create({
        data: { studyId: study.id, seriesId: series.id, name: 'ITV', kind: 'ITV', maskKey: itv.key, maskSha256: itv.sha256 },
      });
    }
  }
  return { study, patient };
}
