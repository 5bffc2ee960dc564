/**
 * Create or change a DICOM destination (admin page /admin/dicom-destinations; permission
 * dicom-destinations:manage). Each save is audited with the values before and after. A
 * destination is never deleted (its sends refer to it): disable it instead.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export interface DicomDestinationInput {
  name: string;
  aeTitle: string;
  host: string;
  port: number | string;
  callingAeTitle: string;
  enabled: boolean;
  autoSend: boolean;
}

/** AE title (PS3.5 6.2, VR AE): 1–16 characters of the default repertoire, no backslash or control characters, not all spaces. */
export function checkAeTitle(value: string, what: string): string {
  const v = value.trim();
  if (v.length === 0) throw new AppError('INVALID_INPUT', `${what} is empty: give the AE title (1 to 16 characters, e.g. ORTHANC).`);
  if (v.length > 16) throw new AppError('INVALID_INPUT', `${what} "${v}" is ${v.length} characters long: an AE title has at most 16.`);
  if (!/^[\x20-\x7e]+$/.test(v) || v.includes('\\'))
    throw new AppError('INVALID_INPUT', `${what} "${v}" has a character an AE title may not hold (only printable ASCII, no backslash).`);
  return v;
}

export function checkDestinationInput(input: DicomDestinationInput): {
  name: string;
  aeTitle: string;
  host: string;
  port: number;
  callingAeTitle: string;
  enabled: boolean;
  autoSend: boolean;
} {
  const name = String(input.name ?? '').trim();
  if (!name || name.length > 64) throw new AppError('INVALID_INPUT', 'Destination name: give 1 to 64 characters (e.g. "Eclipse import" or "PACS").');
  const host = String(input.host ?? '').trim();
  if (!host || host.length > 253 || !/^[A-Za-z0-9.:[\]_-]+$/.test(host))
    throw new AppError(
      'INVALID_INPUT',
      `Host "${host}" of destination "${name}" is not a host name or IP address: check it (e.g. 10.0.0.12 or pacs.hospital.local).`,
    );
  const port = typeof input.port === 'number' ? input.port : /^\d+$/.test(String(input.port ?? '').trim()) ? Number(String(input.port).trim()) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new AppError('INVALID_INPUT', `Port "${input.port}" of destination "${name}" is not a TCP port (1 to 65535; DICOM often uses 104 or 11112).`);
  return {
    name,
    aeTitle: checkAeTitle(String(input.aeTitle ?? ''), `AE title of destination "${name}"`),
    host,
    port,
    callingAeTitle: checkAeTitle(String(input.callingAeTitle ?? ''), `Calling AE title for destination "${name}"`),
    enabled: Boolean(input.enabled),
    autoSend: Boolean(input.autoSend),
  };
}

/** @throws AppError FORBIDDEN, INVALID_INPUT (a field, named), NOT_FOUND (no such destination), CONFLICT (name taken). */
export async function saveDicomDestination(db: Db, { caller, id, input }: { caller: Caller | null; id?: string | null; input: DicomDestinationInput }) {
  const who = authorize(caller, 'dicom-destinations:manage');
  const data = checkDestinationInput(input);
  return db.$transaction(async (tx) => {
    const taken = await tx.dicomDestination.findUnique({ where: { name: data.name } });
    if (taken && taken.id !== id) throw new AppError('CONFLICT', `A destination named "${data.name}" already exists: choose another name or edit that one.`);
    const before = id ? await tx.dicomDestination.findUnique({ where: { id } }) : null;
    if (id && !before) throw new AppError('NOT_FOUND', `DICOM destination ${id} does not exist (reload the page).`);
    const saved = before ? await tx.dicomDestination.update({ where: { id: before.id }, data }) : await tx.dicomDestination.create({ data });
    const pick = (d: typeof data) => ({
      name: d.name,
      aeTitle: d.aeTitle,
      host: d.host,
      port: d.port,
      callingAeTitle: d.callingAeTitle,
      enabled: d.enabled,
      autoSend: d.autoSend,
    });
    await recordAuditEvent(tx, {
      action: before ? 'dicom.destination.update' : 'dicom.destination.create',
      caller: who,
      target: `dicom-destination:${saved.id}`,
      details: before ? { before: pick(before), after: pick(data) } : { after: pick(data) },
    });
    return saved;
  });
}
