/**
 * Running the CLI and the demo as child processes in tests.
 *
 * The tests do not depend on `npm run build`: each test file compiles the
 * CLI, the demo and what they import from the current sources, once, with
 * `tsc --noCheck` (emit only) into `.tmp/cli-build-*` (inside the repository,
 * so `node_modules` resolves), then runs plain `node` on the output. Starting
 * `ts-node` for each of the ~100 processes the tests spawn cost 5–15 s each on
 * a loaded 2-core machine; compiled, a process starts in about a second.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Sequelize } from 'sequelize';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** What a finished child process left. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

let buildDir: string | undefined;

/** Compiles the CLI and the demo (emit only) once per test file; returns the output folder. */
export function build(): string {
  if (buildDir) return buildDir;
  const out = path.join(ROOT, '.tmp', `cli-build-${process.pid}-${Date.now().toString(36)}`);
  const entries = ['src/cli/main.ts', 'demo/run.ts', 'demo/worker.ts'];
  // The schema migrations are loaded dynamically by `init`: compile them when present.
  if (fs.existsSync(path.join(ROOT, 'src/migrations/index.ts'))) entries.push('src/migrations/index.ts');
  execFileSync(process.execPath, [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noCheck', '--outDir', out, '--rootDir', ROOT,
    '--module', 'commonjs', '--target', 'ES2022', '--moduleResolution', 'node', '--esModuleInterop',
    '--experimentalDecorators', '--emitDecoratorMetadata', '--skipLibCheck', '--types', 'node', ...entries,
  ], { cwd: ROOT, stdio: 'pipe' });
  buildDir = out;
  return out;
}

/** Removes the compiled output of {@link build}. */
export function removeBuild(): void {
  if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
  buildDir = undefined;
}

/** Runs a TypeScript entry point (`src/cli/main.ts`, `demo/run.ts`) from the build and collects its output. */
export function runTs(entry: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<RunResult> {
  const js = path.join(build(), entry.replace(/\.ts$/, '.js'));
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    // Tests decide whether DATABASE_URL is set.
    if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    execFile(
      process.execPath,
      [js, ...args],
      { cwd: ROOT, env: childEnv, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: unknown; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/** Runs `bulkimport-state` with these arguments. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runTs('src/cli/main.ts', args, env);
}

/** Asserts the error convention: non-zero exit, exactly one line on stderr, no stack trace. */
export function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  if (result.code !== code || lines.length !== 1 || !pattern.test(lines[0] as string) || /^\s+at /m.test(result.stderr)) {
    throw new Error(`expected exit ${code} and one stderr line matching ${pattern}, got exit ${result.code}:\n${result.stderr}\nstdout:\n${result.stdout}`);
  }
}

/** Drops the tables of a prefix (store tables and the migrations table). */
export async function dropPrefix(sequelize: Sequelize, prefix: string): Promise<void> {
  const qi = sequelize.getQueryInterface();
  for (const t of ['bulkimport_records', 'bulkimport_batches', 'bulkimport_jobs', 'bulkimport_migrations']) {
    await qi.dropTable(`${prefix}${t}`).catch(() => undefined);
  }
}
