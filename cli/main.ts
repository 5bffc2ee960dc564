/**
 * iseg-qa command line. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (the exit code). Errors thrown as CliError (or any
 * Error) become one line on stderr and a non-zero exit.
 */
import { toAppError } from '../lib/server/errors';
import { CliError, exitWhenDrained } from './output';

type CommandModule = { run: (argv: string[]) => Promise<number> };

// Resolved at run time so that a command still being built does not break the others.
function loadCommand(name: string): Promise<CommandModule> {
  return import(`./commands/${name}.ts`) as Promise<CommandModule>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

const COMMANDS: Record<string, CommandEntry> = {
  doctor: {
    summary: 'check the database, migrations, model files and the execution provider',
    load: () => loadCommand('doctor'),
  },
  metrics: {
    summary: 'overlap and surface metrics between two NIfTI masks',
    load: () => loadCommand('metrics'),
  },
  dicom: {
    summary: 'dicom inspect DIR | dicom rasterize DIR --roi NAME --out MASK.nii.gz',
    load: () => loadCommand('dicom'),
  },
  survival: {
    summary: 'survival cox|km|cif --csv F …',
    load: () => loadCommand('survival'),
  },
  import: {
    summary: 'import DIR: bulk import DICOM or NIfTI studies into the database',
    load: () => loadCommand('import'),
  },
  models: {
    summary: 'list the models under models/ and verify each file against its manifest',
    load: () => loadCommand('models'),
  },
  dose: {
    summary: 'dose dvh --ct DIR --rtstruct F --rtdose F: DVH and dose metrics per structure',
    load: () => loadCommand('dose'),
  },
  spc: {
    summary: 'spc shewhart|ewma|cusum --csv F --value COL --order COL: control chart of a per-study series',
    load: () => loadCommand('spc'),
  },
  segment: {
    summary: 'segment --ct DIR|CT.nii.gz --out MASK.nii.gz [--model NAME]',
    load: () => loadCommand('segment'),
  },
};

function usage(): string {
  const lines = ['Usage: iseg-qa <command> [options]  (every command takes --json)', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `iseg-qa <command> --help` for a command’s options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`iseg-qa: unknown command "${name}". Run \`iseg-qa --help\` for the list.`);
    return 2;
  }
  let mod: Awaited<ReturnType<CommandEntry['load']>>;
  try {
    mod = await entry.load();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`commands/${name}.ts`)) {
      console.error(`iseg-qa: command "${name}" is not available in this build yet.`);
      return 2;
    }
    throw e;
  }
  return mod.run(rest);
}

// Never process.exit() directly: it drops output still queued for a pipe (see exitWhenDrained).
main(process.argv.slice(2)).then(
  (code) => exitWhenDrained(code),
  (e: unknown) => {
    // A known cause (database unreachable, disk full, bad input) as its one-line AppError message;
    // anything else as the first non-empty line of its message (Prisma's start with a blank line).
    const mapped = e instanceof CliError ? null : toAppError(e);
    const msg = mapped && mapped.code !== 'INTERNAL' ? mapped.message : e instanceof Error ? e.message : String(e);
    console.error(
      `iseg-qa: ${
        msg
          .split('\n')
          .map((l) => l.trim())
          .find(Boolean) ?? (e instanceof Error ? e.name : 'unknown error')
      }`,
    );
    exitWhenDrained(e instanceof CliError ? e.exitCode : 1);
  },
);
