/**
 * Removes the upload temp folders whose process died before removing them
 * (find-upload-leftovers.ts says which); `npm start` runs it at start-up.
 */
import { rm } from 'node:fs/promises';
import { findUploadLeftovers, type FindUploadLeftoversOptions, type UploadLeftover } from './find-upload-leftovers';

export interface RemoveUploadLeftoversResult {
  removed: UploadLeftover[];
  bytes: number;
}

export async function removeUploadLeftovers(options: FindUploadLeftoversOptions = {}): Promise<RemoveUploadLeftoversResult> {
  const { leftovers } = await findUploadLeftovers(options);
  const removed: UploadLeftover[] = [];
  for (const l of leftovers) {
    await rm(l.dir, { recursive: true, force: true });
    removed.push(l);
  }
  return { removed, bytes: removed.reduce((s, l) => s + l.bytes, 0) };
}
