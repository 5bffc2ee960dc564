/** Starts the real DICOM node process (workers/dicom-node.ts) against a test database on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

export interface DicomNodeProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  stop(): Promise<number | null>;
  /** kill -9 */
  kill(): Promise<void>;
}

export async function startDicomNode(options: { databaseUrl: string; dataDir: string; port: number; env?: Record<string, string> }): Promise<DicomNodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/dicom-node.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      ISEG_DATA_DIR: options.dataDir,
      ISEG_DICOM_HOST: '127.0.0.1',
      ISEG_DICOM_PORT: String(options.port),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`DICOM node did not listen within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('] listening as ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`DICOM node exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    child,
    port: options.port,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
