/** NIfTI-1/2 read, NIfTI-1 write, masks. Geometry is converted between NIfTI RAS and our LPS. */
export { NiftiError, type NiftiErrorCode } from './errors';
export { parseNifti, readNifti, type NiftiVolume, type NiftiInfo, type AffineSource, type ParseNiftiOptions } from './read-nifti';
export { encodeNifti, encodeNiftiParts, writeNifti, type WriteNiftiOptions } from './write-nifti';
export { readMask, parseMask, parseMaskAndSlices, occupiedSlices, volumeToMask, type ReadMaskOptions, type MaskAndSlices } from './read-mask';
export { affineToGrid, gridToAffine, gridToQuaternion, quaternToAffine, type Affine34 } from './affine';
