/**
 * The command that starts a background process (the worker, the demo seeder) at a lower CPU
 * priority than the web server, so a page a person waits for is served first when the worker
 * keeps the cores busy (docs/architecture.md, "Processes"). `nice` runs the program in its own
 * place (same pid, so signals and exit codes are the program's), and every thread it starts
 * (onnxruntime's, libuv's, V8's) inherits the priority. On Windows, or with 0, no change.
 */
export function nicedCommand(
  execPath: string,
  args: string[],
  nice: number,
  platform: NodeJS.Platform = process.platform,
): { command: string; args: string[] } {
  if (nice <= 0 || platform === 'win32') return { command: execPath, args };
  return { command: 'nice', args: ['-n', String(nice), execPath, ...args] };
}
