/** The web process's pg-boss handle: sends jobs, never works them. */
import type { PgBoss } from 'pg-boss';
import { createBoss } from './boss';

const g = globalThis as unknown as { __isegBoss?: Promise<PgBoss> };

export function webBoss(): Promise<PgBoss> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: start the app with `npm start`.');
  g.__isegBoss ??= createBoss({ databaseUrl: url, worker: false }).catch((e) => {
    g.__isegBoss = undefined;
    throw e;
  });
  return g.__isegBoss;
}
