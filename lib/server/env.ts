/**
 * Process configuration, read and validated once with zod (docs/conventions.md, item 15).
 * A bad value stops the process with a message naming the variable.
 */
import { z } from 'zod';
import path from 'node:path';

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const EnvSchema = z.object({
  DATABASE_URL: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgresql:// (for example postgresql://user:pass@host:5432/iseg)')
      .optional(),
  ),
  /** Optional owner (migration) connection for an external Postgres; DATABASE_URL is then the app's role (docs/security.md). */
  DATABASE_MIGRATION_URL: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgresql:// (for example postgresql://iseg_owner:pass@host:5432/iseg)')
      .optional(),
  ),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().default('127.0.0.1'),
  ISEG_DATA_DIR: z.string().default('.data'),
  ISEG_VOLUME_DIR: optionalNonEmpty,
  ISEG_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  ISEG_EXECUTION_PROVIDER: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
  ISEG_MODEL: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be a model folder name under models/')
    .default('demo'),
  /** Folder holding the model folders; default models/ of the checkout. */
  ISEG_MODELS_DIR: optionalNonEmpty,
  ISEG_ADMIN_EMAIL: optionalNonEmpty.pipe(z.email().optional()),
  ISEG_ADMIN_PASSWORD: optionalNonEmpty.pipe(z.string().min(10, 'must be at least 10 characters').optional()),
  ISEG_SEED_DEMO: z.enum(['0', '1']).default('1'),
  ISEG_DEMO_PATIENTS: z.coerce.number().int().min(1).max(500).default(40),
  /** Voxels of each demo CT ("nx,ny,nz"), over a fixed 320 × 320 × 192 mm field of view. */
  ISEG_DEMO_DIMS: z
    .string()
    .regex(/^\d{2,3},\d{2,3},\d{1,3}$/, 'must be three voxel counts "nx,ny,nz", for example 96,96,48')
    .default('96,96,48'),
  ISEG_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * CPU priority (nice, 0-19) `npm start` gives the worker and the demo seeder, so the web server's
   * pages come first while the worker runs a segmentation; 0: the same priority as the web server.
   */
  ISEG_WORKER_NICE: z.coerce
    .number({ error: 'must be a whole number from 0 (same priority as the web server) to 19 (lowest)' })
    .int('must be a whole number from 0 to 19')
    .min(0, 'must be from 0 to 19')
    .max(19, 'must be from 0 to 19')
    .default(10),
  /** Largest accepted upload (zip) in MiB; its uncompressed content may be at most 4× this. */
  ISEG_UPLOAD_MAX_MB: z.coerce.number().int().min(1).max(65536).default(2048),
  /** Our DICOM AE title (the listener's called AE title; docs/dicom-node.md). */
  ISEG_DICOM_AET: z
    .string()
    .trim()
    .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'must be an AE title: 1-16 printable ASCII characters, no backslash')
    .default('ISEG_QA'),
  /** Address the DICOM listener binds (0.0.0.0 for every interface). */
  ISEG_DICOM_HOST: z.string().default('127.0.0.1'),
  /** The DICOM listener's port; 0 or "off": no listener. */
  ISEG_DICOM_PORT: z
    .string()
    .default('11112')
    .transform((v) => (v.trim().toLowerCase() === 'off' ? 0 : Number(v.trim())))
    .pipe(
      z
        .number({ error: 'must be a port number (1-65535), or 0 / off for no listener' })
        .int()
        .min(0, 'must be a port (1-65535), or 0 / off for no listener')
        .max(65535, 'must be a port (1-65535), or 0 / off for no listener'),
    ),
  /** Calling AE titles the listener accepts (comma-separated), besides those added on the admin page. */
  ISEG_DICOM_ALLOWED_AETS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'each AE title must be 1-16 printable ASCII characters, no backslash (comma-separated list)')),
    ),
  /** Seconds a received study must be quiet (no new instance) before it is imported. */
  ISEG_DICOM_QUIET_SECONDS: z.coerce.number().min(0).max(86400).default(30),
  /**
   * Seconds a received CT series must have had no new instance before its volume is prepared
   * ahead of the import (docs/dicom-node.md); `off`: the import decodes every series.
   */
  ISEG_DICOM_PREPARE_SECONDS: z
    .union([
      z.literal('off'),
      z.coerce
        .number({ error: 'must be a number of seconds (0.5-3600) or off' })
        .min(0.5, 'must be at least 0.5 seconds (or off)')
        .max(3600, 'must be at most 3600 seconds'),
    ])
    // Off by default: on the 2-core benchmark machine preparing while receiving slowed the
    // receive more than it saved the import (docs/benchmarks.md, "DICOM receive").
    .default('off'),
  /** Seconds an open association may stay silent before the listener aborts it (a hung peer). */
  ISEG_DICOM_IDLE_TIMEOUT_S: z.coerce
    .number({ error: 'must be a number of seconds (1-3600)' })
    .min(1, 'must be at least 1 second')
    .max(3600, 'must be at most 3600 seconds')
    .default(60),
  /** Largest size of the DICOM spool (GB, decimals allowed); over it, new C-STOREs are refused with 0xA700. */
  ISEG_DICOM_SPOOL_MAX_GB: z.coerce
    .number({ error: 'must be a size in GB, for example 20 or 0.5' })
    .positive('must be more than 0 GB')
    .max(100000, 'must be at most 100000 GB')
    .default(20),
  /** Free space (GB) the spool's disk must keep; below it, new C-STOREs are refused with 0xA700. */
  ISEG_DICOM_SPOOL_MIN_FREE_GB: z.coerce
    .number({ error: 'must be a size in GB, for example 1 or 0.5' })
    .min(0, 'must be 0 GB or more')
    .max(1000000, 'must be at most 1000000 GB')
    .default(1),
  NEXTAUTH_SECRET: optionalNonEmpty.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  NEXTAUTH_URL: optionalNonEmpty.pipe(z.url().optional()),
});

export type Env = z.infer<typeof EnvSchema> & {
  /** Absolute data directory. */
  dataDir: string;
  /** Absolute volume-store directory. */
  volumeDir: string;
  /** Absolute folder of the model folders (ISEG_MODELS_DIR, default <cwd>/models). */
  modelsDir: string;
};

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

/** Parses `source` (default: process.env); throws ConfigError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env, cwd = process.cwd()): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      return `${name}=${JSON.stringify(source[name] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`Invalid environment variable${lines.length > 1 ? 's' : ''}: ${lines.join('; ')}`);
  }
  const env = result.data;
  const dataDir = path.resolve(cwd, env.ISEG_DATA_DIR);
  return {
    ...env,
    dataDir,
    volumeDir: path.resolve(cwd, env.ISEG_VOLUME_DIR ?? path.join(dataDir, 'volumes')),
    modelsDir: path.resolve(/*turbopackIgnore: true*/ cwd, env.ISEG_MODELS_DIR ?? 'models'),
  };
}

let cached: Env | undefined;
/** The validated environment of this process (parsed on first use). */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}
