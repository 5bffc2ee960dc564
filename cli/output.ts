/**
 * CLI output helpers. The contract (docs/cli.md): `--json` prints exactly one JSON object on
 * stdout; bad input exits non-zero with a one-line reason on stderr.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** JSON with non-finite numbers turned into null (JSON.stringify already does; made explicit). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
}

/**
 * Ends the process with `code` once everything written to stdout and stderr has been handed to
 * the operating system. `process.exit` alone drops what is still queued: on a pipe, Node writes
 * the first 64 KiB at once and the rest only when the reader has made room, so a large `--json`
 * piped into another program was cut off with exit status 0. A write callback runs after the
 * chunks queued before it, so one empty write per stream waits for all of them. A reader that
 * has gone away (EPIPE, e.g. `| head`) ends the wait too.
 */
export function exitWhenDrained(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    let called = false;
    const once = () => {
      if (!called) {
        called = true;
        done();
      }
    };
    stream.once('error', once);
    if (stream.destroyed || stream.writableEnded) once();
    else stream.write('', once);
  }
}

export function fail(message: string, exitCode = 2): never {
  throw new CliError(message, exitCode);
}
