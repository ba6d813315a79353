/**
 * What every command of the CLI shares: where it writes, the global options,
 * opening the store, and a few small helpers. Each command registers itself
 * through a {@link CommandRegistration} (see `commands/`).
 */
import type { Command } from 'commander';
import type { Sequelize } from 'sequelize';
import type { JobState } from '../ports';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import { openStore, parseDatabaseUrl, type OpenStore } from './connect';
import { CliError } from './errors';

/** The command name, in messages. */
export const CLI_NAME = 'bulkimport-state';

/** Where the CLI writes and what it reads from its environment (tests can pass their own). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (live progress bar there) or not (plain progress lines on stdout). */
  readonly tty: boolean;
}

/** The options every command takes (before or after the command name). */
export interface GlobalOptions {
  url?: string;
  prefix: string;
  schema?: string;
}

/** What a command's registration gets: where to write, and the shared helpers. */
export interface CommandContext {
  readonly io: CliIo;
  /** Sets the process exit code of the command that ran. */
  setCode(code: number): void;
  /** A new subcommand of the program (no excess arguments). */
  command(name: string, description: string): Command;
  /** The global options as seen from a subcommand. */
  globals(cmd: Command): GlobalOptions;
  /** Opens the store of the global options, runs `fn`, closes it. `requireTables`: fail when the tables are missing. */
  withStore<T>(opts: GlobalOptions, requireTables: boolean, fn: (s: OpenStore) => Promise<T>): Promise<T>;
}

/** Adds one command (or several) to the program. */
export type CommandRegistration = (ctx: CommandContext) => void;

type Migrate = (sequelize: Sequelize, options: { tablePrefix?: string; schema?: string }) => Promise<string[]>;

/** The schema migrations' `migrate`, when this build has them. */
export function loadMigrate(): Migrate | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../migrations') as { migrate?: Migrate };
    return typeof mod.migrate === 'function' ? mod.migrate : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND' && /migrations/.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

/** Opens the store of the global options, runs `fn`, closes it (`requireTables`: fail when the tables are missing). */
export async function withStore<T>(opts: GlobalOptions, io: CliIo, requireTables: boolean, fn: (s: OpenStore) => Promise<T>): Promise<T> {
  const url = opts.url ?? io.env.DATABASE_URL;
  if (parseDatabaseUrl(url).storage === ':memory:') {
    throw new CliError('an in-memory SQLite database starts empty and is gone when the command ends: give a file (sqlite:path/to/db.sqlite)', 2);
  }
  const opened = await openStore(url, { tablePrefix: opts.prefix, schema: opts.schema, requireTables });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

/** The job, or a CliError (exit 1) naming it. */
export async function requireJob(store: SequelizeStateStore, jobId: string): Promise<JobState> {
  const job = await store.getJobState(jobId);
  if (!job) throw new CliError(`job ${JSON.stringify(jobId)} not found`, 1);
  return job;
}

/** Waits `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** `1 job`, `2 jobs`. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

