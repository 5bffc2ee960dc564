/** The PACS (DICOMweb server) settings form, validated (create-pacs-endpoint.ts, update-pacs-endpoint.ts). */
import { z } from 'zod';

export const PacsEndpointInputSchema = z.object({
  name: z.string().trim().min(1, 'Give the PACS a name (e.g. "Radiology Orthanc").').max(64, 'The name is at most 64 characters.'),
  baseUrl: z
    .string()
    .trim()
    .min(1, 'Give the base URL of the DICOMweb service, e.g. http://pacs:8042/dicom-web.')
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, 'The base URL must be an http:// or https:// URL without a user, password, query or fragment (e.g. http://pacs:8042/dicom-web); give the user and password in their own fields.')
    .transform((s) => s.replace(/\/+$/, '')),
  username: z
    .string()
    .trim()
    .max(128, 'The user name is at most 128 characters.')
    .refine((s) => !s.includes(':'), 'HTTP basic auth user names cannot contain ":".')
    .optional()
    .transform((s) => s || null),
  /** Empty: keep the stored password (update) or none (create). */
  password: z.string().max(256, 'The password is at most 256 characters.').optional(),
  /** Remove the stored password. */
  clearPassword: z.boolean().optional(),
  enabled: z.boolean().optional(),
});

export type PacsEndpointInput = z.input<typeof PacsEndpointInputSchema>;

/** What pages see of an endpoint: never the password, only whether there is one. */
export interface PacsEndpointView {
  id: string;
  name: string;
  baseUrl: string;
  username: string | null;
  hasPassword: boolean;
  enabled: boolean;
  updatedAt: Date;
}
