// Entry used by `cox-vs-r.mjs --compiled`: the survival command bundled with esbuild into one
// plain-JS file, to show what the CLI costs without tsx transpiling TypeScript at start-up.
import { run } from '../../cli/commands/survival';
import { CliError } from '../../cli/output';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`iseg-qa: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    process.exit(e instanceof CliError ? e.exitCode : 1);
  },
);
