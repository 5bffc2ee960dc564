/**
 * A real Orthanc (Debian packages `orthanc` and `orthanc-dicomweb`) started by a test on free
 * local ports, with its own temporary storage folder and a generated configuration: HTTP only
 * from this machine (RemoteAccessAllowed false), a generated user for HTTP basic auth, the
 * DICOMweb plugin at /dicom-web/, and the DICOM modalities the caller passes.
 *
 * stop() kills it and removes the folder. If the test process ends without stop() (an exit, a
 * crash, a kill -9), a small watchdog shell started beside Orthanc kills it and removes the
 * folder within about a second. See tests/peers/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ORTHANC_BINARY = process.env.ISEG_TEST_ORTHANC ?? '/usr/sbin/Orthanc';
export const ORTHANC_DICOMWEB_PLUGIN = process.env.ISEG_TEST_ORTHANC_DICOMWEB ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** A DICOM peer Orthanc may talk to (its `DicomModalities` entry). */
export interface OrthancModality {
  aet: string;
  host: string;
  port: number;
}

export interface StartOrthancOptions {
  /** Orthanc's own AE title (default ORTHANC). */
  aet?: string;
  /** Orthanc's `DicomModalities`: symbolic name → peer. */
  modalities?: Record<string, OrthancModality>;
  /** HTTP basic auth with a generated user (default true); false serves HTTP without auth. */
  auth?: boolean;
  /**
   * Accept only known peers (default false): DicomCheckCalledAet on, DicomAlwaysAllowStore and
   * DicomAlwaysAllowEcho off, so an association whose called AE title is not Orthanc's, or whose
   * calling AE title is not in `modalities`, is rejected.
   */
  knownAetsOnly?: boolean;
}

export interface OrthancPeer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  httpUrl: string;
  /** The DICOMweb root, e.g. http://127.0.0.1:41234/dicom-web */
  dicomWebUrl: string;
  dicomPort: number;
  aet: string;
  /** The generated user, or null when started with auth: false. */
  credentials: { username: string; password: string } | null;
  /** The `Authorization` header value for the generated user ('' without auth). */
  authorization: string;
  /** Orthanc's temporary folder (storage, index, configuration). */
  dir: string;
  /** Everything Orthanc wrote to stdout/stderr so far. */
  output(): string;
  /** A REST call with the generated credentials; throws on a non-2xx answer (naming it). */
  rest(pathname: string, init?: RequestInit): Promise<Response>;
  /** GET a REST path and parse JSON. */
  json<T = unknown>(pathname: string): Promise<T>;
  /** Uploads one DICOM file (path or bytes) through POST /instances; returns Orthanc's instance id. */
  upload(file: string | Uint8Array): Promise<{ id: string; status: string }>;
  /** Orthanc ids of every stored instance. */
  instances(): Promise<string[]>;
  /** Orthanc ids of every stored study. */
  studies(): Promise<string[]>;
  /** The stored DICOM file of one instance. */
  instanceFile(id: string): Promise<Buffer>;
  /** Kills Orthanc (SIGKILL) and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** The Debian package that provides what is missing, or null when Orthanc and its DICOMweb plugin are here. */
function missingOrthanc(): string | null {
  if (!existsSync(ORTHANC_BINARY)) return `${ORTHANC_BINARY} is missing: install the Debian package "orthanc" (apt-get install orthanc)`;
  if (!existsSync(ORTHANC_DICOMWEB_PLUGIN))
    return `${ORTHANC_DICOMWEB_PLUGIN} is missing: install the Debian package "orthanc-dicomweb" (apt-get install orthanc-dicomweb)`;
  return null;
}

/**
 * True when Orthanc and its DICOMweb plugin are installed. When one is missing: false (the caller
 * skips the suite, and a warning says why), or under CI (`process.env.CI`) a thrown error naming
 * the apt package, so the suite fails instead of silently skipping.
 */
export function haveOrthanc(): boolean {
  const missing = missingOrthanc();
  if (!missing) return true;
  if (process.env.CI) throw new Error(`Orthanc test peer: ${missing}. Under CI the DICOM-node tests require it (.ci/run installs it).`);
  console.warn(`Skipping the Orthanc suites: ${missing}.`);
  return false;
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Starts Orthanc and waits until GET /system answers (at most 30 s). */
export async function startOrthanc(options: StartOrthancOptions = {}): Promise<OrthancPeer> {
  const missing = missingOrthanc();
  if (missing) throw new Error(`Orthanc test peer: ${missing}.`);
  const aet = options.aet ?? 'ORTHANC';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iseg-orthanc-'));
  const [httpPort, dicomPort] = await twoPorts();
  const credentials = options.auth === false ? null : { username: 'iseg', password: randomBytes(12).toString('hex') };
  const authorization = credentials ? 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') : '';
  const modalities: Record<string, [string, string, number]> = {};
  for (const [name, m] of Object.entries(options.modalities ?? {})) modalities[name] = [m.aet, m.host, m.port];
  const config = {
    Name: `iseg-test-${path.basename(dir)}`,
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    TemporaryDirectory: path.join(dir, 'tmp'),
    HttpServerEnabled: true,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: credentials !== null,
    RegisteredUsers: credentials ? { [credentials.username]: credentials.password } : {},
    DicomServerEnabled: true,
    DicomAet: aet,
    DicomPort: dicomPort,
    DicomCheckCalledAet: options.knownAetsOnly === true,
    DicomAlwaysAllowEcho: options.knownAetsOnly !== true,
    DicomAlwaysAllowStore: options.knownAetsOnly !== true,
    DicomModalities: modalities,
    Plugins: [ORTHANC_DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
    SaveJobs: false,
    StableAge: 2,
    HttpCompressionEnabled: false,
    ConcurrentJobs: 2,
    LuaScripts: [],
  };
  const configPath = path.join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const child = spawn(ORTHANC_BINARY, [configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  child.once('error', (e) => (out += `\nspawn error: ${e.message}`));

  // The watchdog: when this test process is gone (even after kill -9), kill Orthanc and remove its folder.
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null; sleep 0.2; rm -rf "$3"',
      'iseg-orthanc-watchdog',
      String(process.pid),
      String(child.pid),
      dir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const headers = (extra?: HeadersInit): Headers => {
    const h = new Headers(extra);
    if (authorization) h.set('Authorization', authorization);
    return h;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const rest = async (pathname: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(httpUrl + pathname, { ...init, headers: headers(init.headers) });
    if (!res.ok) {
      const body = await res.text().catch(() => '');
      throw new Error(`Orthanc ${init.method ?? 'GET'} ${pathname} answered HTTP ${res.status}: ${body.slice(0, 500)}`);
    }
    return res;
  };

  // Wait for /system.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`Orthanc exited (${child.exitCode ?? child.signalCode}) before answering /system:\n${out}`);
    }
    try {
      const res = await fetch(`${httpUrl}/system`, { headers: headers() });
      if (res.ok) {
        await res.json();
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Orthanc did not answer ${httpUrl}/system within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    httpUrl,
    dicomWebUrl: `${httpUrl}/dicom-web`,
    dicomPort,
    aet,
    credentials,
    authorization,
    dir,
    output: () => out,
    rest,
    async json<T>(pathname: string): Promise<T> {
      return (await (await rest(pathname)).json()) as T;
    },
    async upload(file) {
      const bytes = typeof file === 'string' ? readFileSync(file) : file;
      const res = await rest('/instances', {
        method: 'POST',
        body: new Uint8Array(bytes),
        headers: { 'Content-Type': 'application/dicom' },
      });
      const body = (await res.json()) as { ID: string; Status: string };
      return { id: body.ID, status: body.Status };
    },
    async instances() {
      return (await (await rest('/instances')).json()) as string[];
    },
    async studies() {
      return (await (await rest('/studies')).json()) as string[];
    },
    async instanceFile(id) {
      return Buffer.from(await (await rest(`/instances/${id}/file`)).arrayBuffer());
    },
    stop,
  };
}

async function twoPorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}
