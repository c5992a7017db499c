import { Command, CommanderError } from 'commander';
import { registerCardNew } from './commands/card-new.ts';
import { registerCardDiagram } from './commands/card-diagram.ts';
import { registerCardShell } from './commands/card-shell.ts';
import { registerCardServe } from './commands/card-serve.ts';
import { registerCardDescribe } from './commands/card-describe.ts';
import { registerDemo } from './commands/demo.ts';
import { registerRun } from './commands/run.ts';
import { registerReport } from './commands/report.ts';
import { registerValidate } from './commands/validate.ts';
import { registerCapBuild } from './commands/cap-build.ts';
import { registerConform } from './commands/conform.ts';
import { registerServe } from './commands/serve.ts';
import { registerTerminalProvision } from './commands/terminal-provision.ts';
import { registerTraceExport } from './commands/trace-export.ts';
import { EXIT_CODES_HELP, packageVersion } from './options.ts';

/** Registers every cardlab command; each command file only parses its options and calls a library function. */
export function buildProgram(): Command {
  const program = new Command('cardlab')
    .description('GlobalPlatform card simulator and provisioning test harness')
    .version(packageVersion(), '-V, --version', 'print the cardlab version')
    .showHelpAfterError()
    // Program options only before the command name: `cap build --version 1.2` is the package version there.
    .enablePositionalOptions()
    // Errors come back to main() instead of exiting, so every command shares one exit-code rule;
    // subcommands created below inherit this (and the help text).
    .exitOverride();
  const card = program.command('card').description('simulated cards: create, drive');
  registerCardNew(card);
  registerCardDiagram(card);
  registerCardShell(card);
  registerCardServe(card);
  registerCardDescribe(card);
  registerDemo(program);
  registerRun(program);
  registerReport(program);
  registerValidate(program);
  registerServe(program);
  registerTerminalProvision(program);
  registerConform(program);
  registerTraceExport(program);
  const cap = program.command('cap').description('Java Card CAP files');
  registerCapBuild(cap);
  const withHelp = (c: Command): void => {
    c.addHelpText('after', EXIT_CODES_HELP);
    c.commands.forEach(withHelp);
  };
  withHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every usage error (unknown option, bad value, missing argument) is 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`cardlab: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
