/**
 * dcmtk's command-line DICOM peers (Debian package `dcmtk`): `echoscu` and `storescu`, run by a
 * test against a listener on a local port. haveDcmtk() skips a suite when dcmtk is absent on a
 * user's machine (with a warning), and under CI (`process.env.CI`) throws, naming the apt package,
 * so that the suite fails instead of silently skipping. See tests/peers/README.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const ECHOSCU = process.env.ISEG_TEST_ECHOSCU ?? 'echoscu';
export const STORESCU = process.env.ISEG_TEST_STORESCU ?? 'storescu';
export const STORESCP = process.env.ISEG_TEST_STORESCP ?? 'storescp';

function missingDcmtk(): string | null {
  for (const bin of [ECHOSCU, STORESCU, STORESCP]) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `${bin} is not installed (apt-get install dcmtk)`;
  }
  return null;
}

export function haveDcmtk(): boolean {
  const missing = missingDcmtk();
  if (!missing) return true;
  if (process.env.CI) throw new Error(`dcmtk test peer: ${missing}. Under CI the DICOM-node tests require it (.ci/run installs it).`);
  console.warn(`Skipping the dcmtk suites: ${missing}.`);
  return false;
}

export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface DcmtkTarget {
  host?: string;
  port: number;
  /** Our (called) AE title. */
  calledAe: string;
  /** The peer's calling AE title. */
  callingAe: string;
}

function run(bin: string, args: string[]): { child: ChildProcess; done: Promise<PeerResult>; output: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<PeerResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, output: out })));
  return { child, done, output: () => out };
}

/** C-ECHO with echoscu. */
export function echoscu(t: DcmtkTarget): Promise<PeerResult> {
  return run(ECHOSCU, ['-aet', t.callingAe, '-aec', t.calledAe, t.host ?? '127.0.0.1', String(t.port)]).done;
}

/**
 * C-STORE of files or folders (scanned recursively) with storescu, one association. `-v` prints
 * one "Sending file" line per file, which the mid-study abort test waits for.
 * @param proposeJ2k also propose JPEG 2000 lossless (for files stored that way).
 */
export function storescu(t: DcmtkTarget, inputs: string[], options: { extraArgs?: string[] } = {}) {
  return run(STORESCU, [
    '-v',
    '-aet',
    t.callingAe,
    '-aec',
    t.calledAe,
    '+sd',
    '+r',
    ...(options.extraArgs ?? []),
    t.host ?? '127.0.0.1',
    String(t.port),
    ...inputs,
  ]);
}

export interface StorescpPeer {
  port: number;
  aet: string;
  /** storescp's own log (-v). */
  output: () => string;
  stop(): Promise<void>;
}

/**
 * A dcmtk `storescp` on a local port, started by a test (it must be free; see freePort in
 * orthanc.ts) and waited for until it listens.
 * - `mode: 'refuse'`: `--refuse`, every association is rejected (permanent, "no reason given",
 *   as a peer that does not know our calling AE title).
 * - `mode: 'ct-only'`: accepts only CT Image Storage (a config-file profile written to `workDir`),
 *   so an RT Structure Set gets no presentation context (SOP class not supported).
 * - default: stores every storage SOP class into `workDir`.
 */
export async function startStorescp(options: { port: number; aet?: string; workDir: string; mode?: 'store' | 'refuse' | 'ct-only' }): Promise<StorescpPeer> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const path = await import('node:path');
  const aet = options.aet ?? 'STORESCP';
  mkdirSync(options.workDir, { recursive: true });
  const args = ['-v', '--aetitle', aet, '--output-directory', options.workDir];
  if (options.mode === 'refuse') args.push('--refuse');
  if (options.mode === 'ct-only') {
    const cfg = path.join(options.workDir, 'ct-only.cfg');
    writeFileSync(
      cfg,
      [
        '[[TransferSyntaxes]]',
        '[Uncompressed]',
        'TransferSyntax1 = LocalEndianExplicit',
        'TransferSyntax2 = LittleEndianImplicit',
        '[[PresentationContexts]]',
        '[CtOnly]',
        'PresentationContext1 = VerificationSOPClass\\Uncompressed',
        'PresentationContext2 = CTImageStorage\\Uncompressed',
        '[[Profiles]]',
        '[CtOnly]',
        'PresentationContexts = CtOnly',
        '',
      ].join('\n'),
    );
    args.push('--config-file', cfg, 'CtOnly');
  }
  args.push(String(options.port));
  const p = run(STORESCP, args);
  // storescp prints nothing when it starts listening: wait until the port answers a C-ECHO.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`storescp exited with ${p.child.exitCode} before listening:\n${p.output()}`);
    const echo = await echoscu({ port: options.port, calledAe: aet, callingAe: 'PROBE' });
    // An answer of any kind (success, or the association rejected by --refuse) means it listens.
    if (echo.code === 0 || /Association Rejected|rejected/i.test(echo.output)) break;
    if (Date.now() > deadline) throw new Error(`storescp did not listen on port ${options.port} within 20 s:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port: options.port,
    aet,
    output: p.output,
    async stop() {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.done;
    },
  };
}
