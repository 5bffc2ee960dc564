/**
 * `npm start` runs the worker and the demo seeder below the web server's CPU priority
 * (ISEG_WORKER_NICE, docs/architecture.md "Processes"): the command, and a real process started
 * with it reporting its own priority.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nicedCommand } from '../../../lib/server/startup/niced-command';
import { parseEnv } from '../../../lib/server/env';

describe('worker CPU priority', () => {
  it('wraps the command in nice -n N; 0 and Windows leave it as it is', () => {
    expect(nicedCommand('/usr/bin/node', ['a.js'], 10, 'linux')).toEqual({ command: 'nice', args: ['-n', '10', '/usr/bin/node', 'a.js'] });
    expect(nicedCommand('/usr/bin/node', ['a.js'], 0, 'linux')).toEqual({ command: '/usr/bin/node', args: ['a.js'] });
    expect(nicedCommand('C:\\node.exe', ['a.js'], 10, 'win32')).toEqual({ command: 'C:\\node.exe', args: ['a.js'] });
  });

  it.skipIf(process.platform === 'win32')('a process started with it runs at that priority, its threads too', () => {
    const script = `
      const os = require('node:os');
      const { Worker } = require('node:worker_threads');
      const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:os').getPriority())", { eval: true });
      w.on('message', (t) => { process.stdout.write(JSON.stringify({ main: os.getPriority(), thread: t })); w.terminate(); });`;
    const base = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(require("node:os").getPriority()))'], { encoding: 'utf8' });
    const start = Number(base.stdout);
    const cmd = nicedCommand(process.execPath, ['-e', script], 10);
    const r = spawnSync(cmd.command, cmd.args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { main: number; thread: number };
    // nice adds to the current priority, at most 19.
    const want = Math.min(19, start + 10);
    expect(got).toEqual({ main: want, thread: want });
  });

  it('ISEG_WORKER_NICE: 10 by default, 0-19, a clear error otherwise', () => {
    expect(parseEnv({}).ISEG_WORKER_NICE).toBe(10);
    expect(parseEnv({ ISEG_WORKER_NICE: '0' }).ISEG_WORKER_NICE).toBe(0);
    expect(() => parseEnv({ ISEG_WORKER_NICE: '20' })).toThrow(/ISEG_WORKER_NICE.*0 to 19/);
    expect(() => parseEnv({ ISEG_WORKER_NICE: 'low' })).toThrow(/ISEG_WORKER_NICE/);
  });
});
