/**
 * Which folders under DIR are studies, for bulk import (`iseg-qa import DIR`):
 * - DIR itself when it has DICOM files at its top level, or when all its DICOM (sampled: the
 *   first file of each subfolder) belongs to one StudyInstanceUID (e.g. a patient folder with a
 *   subfolder per 4D CT phase and one for the RTSTRUCT);
 * - otherwise each immediate subfolder that holds DICOM (e.g. a cohort folder with a folder per
 *   patient);
 * - without DICOM anywhere: DIR, or each subfolder, that holds a NIfTI image.
 * Folders without anything importable are listed in `skipped`.
 */
import { readdir } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDicomBytes, str } from '@/lib/dicom/parse-file';
import { AppError } from '../errors';
import { looksLikeDicom } from './import-study';
import { NIFTI_FILE, isNiftiImageName } from './prepare-nifti-study';

async function firstFile(dir: string, test: (f: string) => Promise<boolean>): Promise<string | null> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) if (e.isFile() && (await test(path.join(dir, e.name)))) return path.join(dir, e.name);
  for (const e of entries)
    if (e.isDirectory()) {
      const f = await firstFile(path.join(dir, e.name), test);
      if (f) return f;
    }
  return null;
}

async function studyUidOf(file: string): Promise<string> {
  const { parsed } = parseDicomBytes(new Uint8Array(await readFile(file)), file);
  return (parsed && str(parsed.dataSet, 'x0020000d')) || `(no StudyInstanceUID: ${file})`;
}

const isNiftiImage = async (f: string) => NIFTI_FILE.test(f) && isNiftiImageName(f);

export async function findStudyFolders(dir: string): Promise<{ folders: string[]; skipped: string[] }> {
  const root = path.resolve(dir);
  let entries;
  try {
    entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    throw new AppError('INVALID_INPUT', `${dir} is not a readable folder.`);
  }
  for (const e of entries)
    if (e.isFile() && !NIFTI_FILE.test(e.name) && (await looksLikeDicom(path.join(root, e.name)))) return { folders: [root], skipped: [] };
  const subs = entries.filter((e) => e.isDirectory()).map((e) => path.join(root, e.name));
  const withDicom: { dir: string; uid: string }[] = [];
  const skipped: string[] = [];
  for (const s of subs) {
    const f = await firstFile(s, async (p) => !NIFTI_FILE.test(p) && (await looksLikeDicom(p)));
    if (f) withDicom.push({ dir: s, uid: await studyUidOf(f) });
    else skipped.push(s);
  }
  if (withDicom.length > 0) {
    if (new Set(withDicom.map((x) => x.uid)).size === 1) return { folders: [root], skipped: [] };
    return { folders: withDicom.map((x) => x.dir), skipped };
  }
  if (entries.some((e) => e.isFile() && NIFTI_FILE.test(e.name) && isNiftiImageName(e.name))) return { folders: [root], skipped: [] };
  const nifti: string[] = [];
  const rest: string[] = [];
  for (const s of subs) ((await firstFile(s, isNiftiImage)) ? nifti : rest).push(s);
  if (nifti.length === 0) throw new AppError('INVALID_INPUT', `No DICOM files and no NIfTI image (ct*.nii.gz) under ${dir}: nothing to import.`);
  return { folders: nifti, skipped: rest };
}
