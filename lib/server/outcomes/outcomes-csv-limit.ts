/**
 * The one size limit of an outcomes CSV, shared by the upload form (checked in the browser before
 * sending), the server action's body limit (`experimental.serverActions.bodySizeLimit` in
 * next.config.js, which reads the same JSON file) and the server-side check in
 * import-outcomes.ts. The file travels as multipart form data, so the action's body is the file
 * plus a small, fixed overhead (boundaries, the file name, Next's action fields), never an
 * escaped copy of it. No I/O here: the client component imports this module too.
 */
import limit from './outcomes-csv-limit.json';

/** Largest accepted outcomes CSV, in bytes (2 MiB: one row per patient, tens of thousands of patients). */
export const MAX_OUTCOMES_CSV_BYTES: number = limit.maxBytes;

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** The limit in words, for forms and docs: "2 MB". */
export const OUTCOMES_CSV_LIMIT_TEXT = size(MAX_OUTCOMES_CSV_BYTES);

/** The refusal for a file over the limit, naming the file, its size and the limit. */
export function outcomesCsvTooLargeMessage(fileName: string, bytes: number): string {
  return `${fileName} is ${size(bytes)} (${bytes.toLocaleString('en')} bytes); an outcomes CSV may be at most ${OUTCOMES_CSV_LIMIT_TEXT} (${MAX_OUTCOMES_CSV_BYTES.toLocaleString('en')} bytes). Outcome files hold one row per patient: remove columns you do not analyse, or split the file and import the parts one after the other.`;
}
