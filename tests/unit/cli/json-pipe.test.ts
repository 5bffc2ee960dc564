/**
 * `iseg-qa … --json` piped into another program must arrive whole. The CLI used to call
 * process.exit() as soon as a command returned; on a pipe Node writes the first 64 KiB at once
 * and queues the rest until the reader makes room, so output was cut at 65,536 or 131,072 bytes
 * with exit status 0. Here the reader starts late (as a slow consumer would), and the whole
 * multi-megabyte JSON must parse.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

function writeCsv(file: string, rows: number): void {
  const lines = ['time,event,arm'];
  let x = 12345;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    // distinct times (one curve step per row) so the curves are long
    lines.push(`${(x % 5000) + 1 + i / 100000},${x % 3 === 0 ? 1 : 0},${i % 2 ? 'a' : 'b'}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** Runs the CLI with stdout on a pipe that nobody reads for the first second. */
function runThroughSlowPipe(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'cli', 'iseg-qa.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 1000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

describe('iseg-qa --json through a pipe', () => {
  it('survival km on 20,000 rows: the multi-megabyte JSON arrives whole and parses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-cli-pipe-'));
    try {
      const csv = path.join(dir, 'km.csv');
      writeCsv(csv, 20_000);
      const r = await runThroughSlowPipe(['survival', 'km', '--csv', csv, '--time', 'time', '--event', 'event', '--group', 'arm', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(2 * 1024 * 1024);
      const out = JSON.parse(r.stdout.toString('utf8'));
      expect(out.n).toBe(20_000);
      expect(out.curves.map((c: { n: number }) => c.n)).toEqual([10_000, 10_000]);
      expect(out.curves[0].time.length).toBeGreaterThan(9_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
