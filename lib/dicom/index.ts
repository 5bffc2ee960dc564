/**
 * lib/dicom: the only importer of dicom-parser and dcmjs. DICOM in (CT series, RTSTRUCT) and out
 * (RTSTRUCT for machine structures), always through our own types; geometry lives in lib/core.
 */
export { type Finding, type FindingCode, type FindingSeverity, DicomError } from './findings';
export { parseDicomBytes, type ParsedDicom } from './parse-file';
export {
  type CtSeries,
  type ImageSliceHeader,
  type BuildSeriesOptions,
  buildSeries,
  groupSeries,
  MAX_SERIES_VOXELS,
  readImageHeader,
  resolvePhaseClashes,
} from './ct-series';
export { loadCtVolume, type LoadCtOptions } from './ct-volume';
export { recognisePhase, type PhaseInfo, type PhaseInput } from './phase';
export { readRtStruct, type RtStructureSet, type RtRoi, type RtContour, RT_STRUCTURE_SET_STORAGE } from './rtstruct';
export { findReferencedSeries, findRoi, rasterizeRoi, seriesRasterTarget, type RasterizeRoiInput } from './rasterize-roi';
export { readDicom, type DicomImport, type ReadDicomOptions } from './read-dicom';
export { writeRtStruct, newUid, nameBasedUid, type MachineStructure, type WriteRtStructInput } from './write-rtstruct';
export { encodeCtSeries, writeCtSeries, deterministicUid, formatDs } from './write-ct-series';
export { readRtDose, readRtDoseFile, checkDoseFrameOfReference, type RtDose, RT_DOSE_STORAGE } from './rtdose';
export { readRtPlan, readRtPlanFile, type RtPlan, type RtDoseReference, RT_PLAN_STORAGE } from './rtplan';
export { encodeRtDose, encodeRtPlan, type WriteRtDoseInput, type WriteRtPlanInput, type RtObjectMetadata } from './write-rtdose';
export { computeStructureDvhs, type StructureDvh, type StructureDvhOptions, type StructureDvhResult } from './structure-dvh';
export { writeDosePhantom, phantomDoseAt, SMALL_DOSE_PHANTOM, type DosePhantomSpec, type DosePhantomFiles, type DosePhantomStructure } from './dose-phantom';
