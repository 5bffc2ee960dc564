/**
 * POST /api/studies: upload a zip of one study (DICOM folder, or NIfTI image + masks) and import
 * it. Multipart form: `file` (the zip), optional `phaseMap`, `patientId`. 201 with the import
 * result (study id, pseudonym, series, structures, findings); 200 when already imported.
 * Thin: parse → caller → extract (size-capped, confined to a server temp folder) → importStudy
 * (which authorises) → map errors.
 */
import { NextResponse } from 'next/server';
import { getCaller } from '@/lib/server/auth/get-caller';
import { authorize } from '@/lib/server/auth/roles';
import { db } from '@/lib/server/db/client';
import { AppError, toHttpError } from '@/lib/server/errors';
import { assertUploadSize, extractUpload } from '@/lib/server/studies/extract-upload';
import { importStudy } from '@/lib/server/studies/import-study';
import { parsePhaseMap } from '@/lib/server/studies/parse-phase-map';
import { ImportUploadFields } from './route.types';
import { requestDefaultSegmentation } from '@/lib/server/runs/request-default-segmentation';
import { webBoss } from '@/lib/server/jobs/web-boss';

export const runtime = 'nodejs';
const PROXY_BODY_DEFAULT_BYTES = 10 * 1024 * 1024;
export const dynamic = 'force-dynamic';

export async function POST(req: Request) {
  try {
    // Refuse before reading a large body: who may import, and how big the body says it is.
    const caller = authorize(await getCaller(), 'studies:import');
    const declared = Number(req.headers.get('content-length') ?? '0');
    if (declared > 0) assertUploadSize(declared);
    let form: FormData;
    try {
      form = await req.formData();
    } catch {
      // Next's proxy hands route handlers at most experimental.proxyClientMaxBodySize (10 MB by
      // default) of the body: a larger upload arrives cut off and does not parse.
      if (declared > PROXY_BODY_DEFAULT_BYTES)
        throw new AppError('INVALID_INPUT', `The upload (${(declared / 1048576).toFixed(0)} MiB) arrived incomplete: the web server passes on at most its proxy body limit (experimental.proxyClientMaxBodySize in next.config.js, 10 MB unless set). Ask the administrator to raise it, or import with \`npx iseg-qa import DIR\`.`);
      throw new AppError('INVALID_INPUT', 'Send the study as multipart/form-data with the zip in the field "file".');
    }
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) throw new AppError('INVALID_INPUT', 'No file: attach a .zip of the study in the field "file".');
    assertUploadSize(file.size, undefined, `Upload "${file.name}"`);
    const fields = ImportUploadFields.safeParse({
      phaseMap: (form.get('phaseMap') as string | null) || undefined,
      patientId: (form.get('patientId') as string | null) || undefined,
    });
    if (!fields.success) throw new AppError('INVALID_INPUT', fields.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const phaseMapping = parsePhaseMap(fields.data.phaseMap);
    const upload = await extractUpload({ bytes: new Uint8Array(await file.arrayBuffer()), name: file.name });
    try {
      const result = await importStudy({ db: db(), caller, dir: upload.dir, label: `upload "${file.name}"`, phaseMapping, patientId: fields.data.patientId });
      const segmentation = result.alreadyImported ? null : await requestDefaultSegmentation(db(), await webBoss(), { studyId: result.studyId, interactive: true });
      return NextResponse.json({ ...result, segmentation }, { status: result.alreadyImported ? 200 : 201 });
    } finally {
      await upload.cleanup();
    }
  } catch (e) {
    const { status, body } = toHttpError(e);
    return NextResponse.json(body, { status });
  }
}
