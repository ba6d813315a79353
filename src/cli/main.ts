#!/usr/bin/env node
/**
 * `bulkimport-state`: the operator CLI of `@batchactions/state-sequelize`.
 *
 * ```sh
 * bulkimport-state --url postgres://user@host/db init
 * bulkimport-state list --status PROCESSING
 * bulkimport-state show <jobId> --stale-ms 60s
 * bulkimport-state watch <jobId> --interval 500
 * bulkimport-state export-failed <jobId> --format csv --out failed.csv
 * bulkimport-state reclaim <jobId> --stale-ms 5m
 * bulkimport-state purge --older-than 7d --dry-run
 * bulkimport-state --version
 * ```
 *
 * The database comes from `--url` or `DATABASE_URL`. Errors are one line on
 * stderr with exit code 1 (failure: database, unknown job) or 2 (usage: bad
 * flag, bad URL); `watch` exits 3 when the job ends FAILED or ABORTED and 4
 * on `--timeout`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import { StateStoreError } from '../errors';
import { dashboardCommand } from './commands/dashboard';
import { list, show, watchCommand } from './commands/inspect';
import { exportFailed, init, purge, reclaim } from './commands/manage';
import { oneLine } from './connect';
import { CLI_NAME, withStore, type CliIo, type CommandContext, type CommandRegistration, type GlobalOptions } from './context';
import { CliError } from './errors';

export { CLI_NAME, type CliIo, type CommandContext, type CommandRegistration, type GlobalOptions } from './context';

/** The package whose version `--version` prints. */
const PACKAGE_NAME = '@batchactions/state-sequelize';

/**
 * The package's version, from the nearest `package.json` named
 * `@batchactions/state-sequelize` above this file: found the same from
 * `src/cli` (ts-node), `dist/cli` (the built `bin`) and an installed copy.
 */
export function cliVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/**
 * The commands, in help order. A new command is one more
 * {@link CommandRegistration} here.
 */
export const COMMANDS: readonly CommandRegistration[] = [init, list, show, watchCommand, exportFailed, reclaim, purge, dashboardCommand];

/** Builds the command-line program. `setCode` receives each command's exit code. */
export function buildProgram(io: CliIo, setCode: (code: number) => void, commands: readonly CommandRegistration[] = COMMANDS): Command {
  const program = new Command(CLI_NAME);
  program
    .description('Inspect and manage @batchactions import jobs stored by @batchactions/state-sequelize')
    .usage('[global options] <command> [options]')
    .version(cliVersion(), '-V, --version', 'print the version')
    .option('--url <url>', 'database URL: postgres://, mysql://, mariadb:// or sqlite:<file> (default: $DATABASE_URL)')
    .option('--prefix <prefix>', 'table prefix of the store', '')
    .option('--schema <schema>', 'PostgreSQL schema (MySQL/MariaDB: database) of the tables')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`${CLI_NAME}: ${s.replace(/^error: /, '').replace(/\s+/g, ' ').trim()}\n`),
    })
    .allowExcessArguments(true)
    // Reached only without a known command (commander runs a subcommand's action otherwise).
    .action((_o: unknown, cmd: Command) => {
      const [name] = cmd.args;
      const names = program.commands.map((c) => c.name()).join(', ');
      throw new CliError(name !== undefined
        ? `unknown command ${JSON.stringify(name)} (commands: ${names}); see ${CLI_NAME} --help`
        : `missing command (${names}); see ${CLI_NAME} --help`, 2);
    });

  const context: CommandContext = {
    io,
    setCode,
    command: (name, description) => program.command(name).description(description).allowExcessArguments(false),
    globals: (cmd) => cmd.optsWithGlobals() as GlobalOptions,
    withStore: (opts, requireTables, fn) => withStore(opts, io, requireTables, fn),
  };
  for (const register of commands) register(context);
  return program;
}

/**
 * Runs the CLI on `argv` (user arguments only, without `node` and the
 * script). Never throws: resolves to the exit code, having written any
 * error as one line to `io.err`.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (one line, see outputError).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return error.exitCode;
      }
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`${CLI_NAME}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof StateStoreError) {
      io.err(`${CLI_NAME}: ${oneLine(error)}\n`);
      return error.name === 'InvalidInputError' ? 2 : 1;
    }
    io.err(`${CLI_NAME}: ${oneLine(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (s) => { process.stdout.write(s); },
    err: (s) => { process.stderr.write(s); },
    env: process.env,
    tty: Boolean(process.stderr.isTTY),
  };
  void run(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
