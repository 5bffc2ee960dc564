/**
 * The first-run demo cohort, seeded by `npm start` (scripts/start.ts) in its own process after
 * the web server answers, so the import's CPU work neither delays the sign-in page nor the
 * supervisor. SIGTERM/SIGINT stop it between patients (exit 0; the next start resumes it). A
 * failure is stored on the DemoSeed row (the cohort page shows it) and exits 1.
 */
import { parseEnv } from '../lib/server/env';
import { runDemoSeed } from '../lib/server/seed/run-demo-seed';

const say = (msg: string) => console.log(`[iseg-qa] ${msg}`);
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void (stopping = true));

const env = parseEnv();
if (!env.DATABASE_URL) {
  console.error('[iseg-qa] scripts/seed-demo.ts needs DATABASE_URL (npm start passes it).');
  process.exit(2);
}
const dims = env.ISEG_DEMO_DIMS.split(',').map(Number) as [number, number, number];
const fovMm = [320, 320, 192] as const;
const r = await runDemoSeed({
  databaseUrl: env.DATABASE_URL,
  dataDir: env.dataDir,
  volumeDir: env.volumeDir,
  patients: env.ISEG_DEMO_PATIENTS,
  dims,
  spacingMm: dims.map((n, a) => fovMm[a as 0 | 1 | 2] / n) as [number, number, number],
  log: say,
  shouldStop: () => stopping,
});
if (r.error) {
  console.error(`[iseg-qa] Seeding the demo cohort failed: ${r.error} (the app keeps running; the next start tries again).`);
  process.exit(1);
}
if (r.seeded) say('Seeded the demo cohort: synthetic 4D CT patients with simulated outcomes (not real patients).');
process.exit(0);
