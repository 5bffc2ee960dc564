/**
 * CLI output helpers. The contract (DESIGN.md): `--json` prints exactly one JSON object on
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
  process.stdout.write(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) +
      '\n',
  );
}

export function fail(message: string, exitCode = 2): never {
  throw new CliError(message, exitCode);
}
