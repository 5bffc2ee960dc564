/**
 * POST /api/studies: upload a zip of one study (DICOM folder, or NIfTI image + masks) and import
 * it. Multipart form: `file` (the zip), optional `phaseMap`, `patientId`, `observer` (who drew the
 * structures, docs/observers.md). 201 with the import
 * result (study id, pseudonym, series, structures, findings); 200 when already imported.
 * Outside the proxy (proxy.ts matcher), so that Next does not buffer the body before any check:
 * withCaller checks the origin, the declared size (413) and the caller's permission before a
 * byte is read; then the file streams to a temp folder (readUploadForm, capped at
 * ISEG_UPLOAD_MAX_MB), is extracted from disk (size- and ratio-capped, confined to a server temp
 * folder) and imported by importStudyAndQueue (which authorises again), which also queues the
 * study's segmentation run (`segmentation` in the answer).
 */
import { NextResponse } from 'next/server';
import { db } from '@/lib/server/db/client';
import { env } from '@/lib/server/env';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { readUploadForm } from '@/lib/server/http/read-upload-form';
import { extractUpload } from '@/lib/server/studies/extract-upload';
import { importStudyAndQueue } from '@/lib/server/studies/import-study-and-queue';
import { parsePhaseMap } from '@/lib/server/studies/parse-phase-map';
import { ImportUploadFields } from './route.types';
import { webBoss } from '@/lib/server/jobs/web-boss';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const MiB = 1024 * 1024;
const uploadMaxBytes = () => env().ISEG_UPLOAD_MAX_MB * MiB;
/** Multipart framing and the text fields around the zip. */
const FORM_OVERHEAD_BYTES = 256 * 1024;

export const POST = withCaller(
  'studies:import',
  async (req, { caller }) => {
    const form = await readUploadForm({
      req,
      fileField: 'file',
      fields: ['phaseMap', 'patientId', 'observer'],
      maxFileBytes: uploadMaxBytes(),
      what: 'a .zip of the study',
      limitName: 'ISEG_UPLOAD_MAX_MB',
    });
    try {
      const fields = ImportUploadFields.safeParse({
        phaseMap: form.fields.phaseMap || undefined,
        patientId: form.fields.patientId || undefined,
        observer: form.fields.observer || undefined,
      });
      if (!fields.success) throw new AppError('INVALID_INPUT', fields.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const phaseMapping = parsePhaseMap(fields.data.phaseMap);
      const upload = await extractUpload({ file: form.file.path, name: form.file.name });
      try {
        const result = await importStudyAndQueue({
          db: db(),
          boss: webBoss,
          interactive: true,
          caller,
          dir: upload.dir,
          label: `upload "${form.file.name}"`,
          phaseMapping,
          patientId: fields.data.patientId,
          observer: fields.data.observer,
        });
        return NextResponse.json(result, { status: result.alreadyImported ? 200 : 201 });
      } finally {
        await upload.cleanup();
      }
    } finally {
      await form.cleanup();
    }
  },
  { maxBodyBytes: () => uploadMaxBytes() + FORM_OVERHEAD_BYTES },
);

/**
 * Any other method: this route is outside the proxy, so without these Next.js would answer 405
 * to anyone. The same gate as the upload first (origin, session, permission: 401/403), then 405.
 */
const methodNotAllowed = withCaller('studies:import', async () => {
  throw new AppError('METHOD_NOT_ALLOWED', 'Only POST is served here: upload a study as multipart/form-data with the zip in the field "file".');
});
export const GET = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
export const DELETE = methodNotAllowed;
