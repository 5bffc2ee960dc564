/**
 * The few attributes the listener needs from a received instance (to file it by study and to
 * make the patient's pseudonym), read from the first bytes of the spooled file; the whole file
 * only when those do not hold them.
 */
import { readFile } from 'node:fs/promises';
import { parseDicom } from '../parser';
import { parseDicomBytes, str } from '../parse-file';

export interface InstanceHeader {
  studyInstanceUid?: string;
  /** Read when the head holds the whole header (CT slices); the node prepares a series' volume early by it. */
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  modality?: string;
  patientId?: string;
  institutionName?: string;
  /** (0002,0016) of the file meta: the AE title that sent it (the listener writes it). */
  sourceAeTitle?: string;
}

function pick(ds: Parameters<typeof str>[0]): InstanceHeader {
  return {
    studyInstanceUid: str(ds, 'x0020000d'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    sopInstanceUid: str(ds, 'x00080018'),
    sopClassUid: str(ds, 'x00080016'),
    modality: str(ds, 'x00080060'),
    patientId: str(ds, 'x00100020'),
    institutionName: str(ds, 'x00080080'),
    sourceAeTitle: str(ds, 'x00020016'),
  };
}

/**
 * The header from a short head (the first network chunks of an instance), without the larger
 * head's copy: only when the parse reached the pixel data (an image; the header is then exactly
 * what the larger head gives) or the head is the whole file; else null (use readInstanceHeader).
 */
export function readInstanceHeaderQuick(head: { bytes: Uint8Array; complete: boolean }): InstanceHeader | null {
  try {
    const ds = parseDicom(head.bytes, { untilTag: 'x7fe00010' });
    if (!head.complete && !ds.elements.x7fe00010) return null;
    const h = pick(ds);
    return h.studyInstanceUid ? h : null;
  } catch {
    return null;
  }
}

/**
 * @param head the file's first bytes; `complete` when they are the whole file.
 * @param file the spooled file, read in full only when the head does not hold the study UID.
 */
export async function readInstanceHeader(head: { bytes: Uint8Array; complete: boolean }, file: string): Promise<InstanceHeader> {
  // The whole header up to the pixel data (an image's header fits in the head), else up to the
  // SeriesInstanceUID (its value not read), else the whole file.
  for (const untilTag of ['x7fe00010', 'x0020000e']) {
    try {
      const h = pick(parseDicom(head.bytes, { untilTag }));
      if (h.studyInstanceUid) return h;
    } catch {}
  }
  const bytes = head.complete ? head.bytes : new Uint8Array(await readFile(file));
  const { parsed } = parseDicomBytes(bytes, file);
  return parsed ? pick(parsed.dataSet) : {};
}
