/**
 * Who may do what (docs/security.md). One declarative table; every data-access
 * function checks it through `authorize`, so a page or route cannot forget.
 */
import { AppError } from '../errors';

export const ROLES = ['ADMIN', 'PHYSICIST', 'RESEARCHER', 'REVIEWER'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  userId: string;
  email: string;
  name: string;
  role: Role;
  /** Client address, for the audit log. */
  ip?: string;
  userAgent?: string;
}

export const PERMISSIONS = {
  /** Cohort-level aggregate numbers (no identifiers). */
  'cohort:view': ['ADMIN', 'PHYSICIST', 'RESEARCHER', 'REVIEWER'],
  /** Names, MRNs, birth dates, real DICOM UIDs. Researchers see pseudonyms only. */
  'identifiers:view': ['PHYSICIST'],
  'studies:view': ['ADMIN', 'PHYSICIST', 'RESEARCHER', 'REVIEWER'],
  'studies:import': ['ADMIN', 'PHYSICIST'],
  /** De-identified DICOM export (PS3.15 basic profile, pseudonym, shifted dates, remapped UIDs). */
  'studies:export-deid': ['PHYSICIST', 'RESEARCHER'],
  /** Choose which physician structure is the reference GTV/ITV when the ROI names do not say (audited). */
  'studies:choose-reference': ['PHYSICIST'],
  /** Enter the prescription of a study's plan that states none (recomputes its dose metrics; audited). */
  'dose:enter-prescription': ['PHYSICIST'],
  'jobs:view': ['ADMIN', 'PHYSICIST'],
  'jobs:enqueue': ['ADMIN', 'PHYSICIST'],
  'outcomes:view': ['ADMIN', 'PHYSICIST', 'RESEARCHER'],
  /** Import outcomes CSVs (each import is a version) and restore an earlier version. */
  'outcomes:import': ['ADMIN', 'PHYSICIST'],
  /** The /monitoring control charts of contour agreement over time (pseudonyms; dates shifted without identifiers:view). */
  'monitoring:view': ['ADMIN', 'PHYSICIST'],
  /** Acknowledge drift alerts with a comment and edit the stored monitoring configuration (each save a version); audited. */
  'monitoring:manage': ['ADMIN', 'PHYSICIST'],
  'review:view': ['ADMIN', 'PHYSICIST', 'REVIEWER'],
  'review:decide': ['PHYSICIST', 'REVIEWER'],
  'users:manage': ['ADMIN'],
  'models:manage': ['ADMIN'],
  /** Edit the per-site structure-name rules (docs/structure-roles.md); each save is a version, audited. */
  'structure-roles:manage': ['ADMIN'],
  /** Set the QA flag thresholds (docs/flags.md); each save is a version, audited, and recomputes every run's flags. */
  'flags:manage': ['ADMIN'],
  'audit:view': ['ADMIN'],
  /** DICOM destinations that machine contours are sent to (AE title, host, port, auto-send). */
  'dicom-destinations:manage': ['ADMIN'],
  /** The Receive page: DICOM associations and received studies (pseudonyms only). */
  'dicom-receive:view': ['ADMIN', 'PHYSICIST'],
  /** Edit the calling AE titles the DICOM listener accepts (audited). */
  'dicom-receive:manage-aes': ['ADMIN'],
  /** Approve a run's machine contours (recorded and audited); only an approved run can be sent. */
  'runs:approve': ['PHYSICIST'],
  /** Send an approved run's machine RTSTRUCT to a DICOM destination (C-STORE; audited). */
  'runs:send': ['PHYSICIST'],
  /** DICOMweb servers (PACS) studies are queried and retrieved from (base URL, basic-auth user; audited). */
  'pacs:manage': ['ADMIN'],
  /** Alert webhooks: a URL and HMAC secret per alert type, and their deliveries (docs/monitoring.md, "Webhooks"; audited). */
  'alert-webhooks:manage': ['ADMIN'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Throws UNAUTHORIZED without a caller and FORBIDDEN when the role lacks the permission. */
export function authorize(caller: Caller | null | undefined, permission: Permission): Caller {
  if (!caller) throw new AppError('UNAUTHORIZED', 'Sign in first.');
  if (!can(caller.role, permission)) {
    throw new AppError('FORBIDDEN', `The ${caller.role.toLowerCase()} role may not ${permission.replace(':', ' ')}.`);
  }
  return caller;
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
