/**
 * Every code block of README.md and docs/*.md is exercised (see markdown.ts
 * for the rules and the markers that say how):
 *
 * - TypeScript blocks are compiled together, once, with the project's
 *   TypeScript and compiler options (into .tmp/docs-snippets-*), the library
 *   resolved to its sources; a compile error fails the block, reported at its
 *   Markdown line;
 * - `run` blocks then run with node on SQLite, and on a fresh PostgreSQL
 *   database when PG_URL is set; `nest` blocks in a real Nest application
 *   context; `typecheck` blocks (the engine's packages, a web framework that
 *   is not installed) only compile;
 * - shell blocks are not run; their npm scripts, CLI commands and flags, demo
 *   flags and paths must exist.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Sequelize } from 'sequelize';
import { buildProgram } from '../../src/cli/main';
import { ENGINE_DECLARATIONS } from './engineTypes';
import { documentationFiles, extractBlocks, type Block, type Origin } from './markdown';
import { nestProgram, scriptProgram, type Generated } from './program';
import { checkCommand, commandLines } from './shell';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, '.tmp', `docs-snippets-${process.pid}-${Date.now().toString(36)}`);
const OUT = path.join(DIR, 'out');
const PG_URL = process.env.PG_URL;

jest.setTimeout(120_000);

interface Snippet {
  readonly name: string;
  readonly block: Block;
  readonly generated: Generated;
  readonly source: string;
  readonly runs: boolean;
}

const blocks = documentationFiles(ROOT).flatMap((file) => extractBlocks(ROOT, file));
const TS_LANGS = new Set(['ts', 'typescript']);
const SHELL_LANGS = new Set(['bash', 'sh', 'shell']);

function programs(): Snippet[] {
  const out: Snippet[] = [];
  const chains = new Map<string, Block[]>();
  for (const block of blocks.filter((b) => TS_LANGS.has(b.lang))) {
    const name = `${block.file}:${block.line}`;
    const source = path.join(DIR, 'snippets', `${block.file.replace(/\W+/g, '_')}_L${block.line}.ts`);
    if (block.marker.mode === 'nest') {
      out.push({ name, block, source, generated: nestProgram(block), runs: true });
      continue;
    }
    const previous = chains.get(block.file);
    const continues = block.marker.args.includes('continues');
    if (continues && !previous) throw new Error(`${name}: "continues", but no run block comes before it`);
    const chain = continues ? [...(previous as Block[]), block] : [block];
    if (block.marker.mode === 'run') chains.set(block.file, chain);
    out.push({ name, block, source, generated: scriptProgram(chain), runs: block.marker.mode === 'run' });
  }
  return out;
}

const SNIPPETS = programs();
/** Compile errors by snippet source file, mapped to Markdown lines; errors elsewhere under '*'. */
const errors = new Map<string, string[]>();

function where(origin: Origin | undefined, file: string, line: number): string {
  return origin ? `${origin.file}:${origin.line}` : `${path.relative(ROOT, file)}:${line} (test harness)`;
}

beforeAll(() => {
  fs.mkdirSync(path.join(DIR, 'snippets'), { recursive: true });
  for (const s of SNIPPETS) fs.writeFileSync(s.source, s.generated.text);
  fs.writeFileSync(path.join(DIR, 'engine.d.ts'), ENGINE_DECLARATIONS);
  fs.writeFileSync(path.join(DIR, 'tsconfig.json'), JSON.stringify({
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: {
      outDir: OUT,
      rootDir: ROOT,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      noUnusedLocals: false,
      types: ['node'],
      paths: {
        '@batchactions/state-sequelize': [path.join(ROOT, 'src', 'index.ts')],
        '@batchactions/state-sequelize/dashboard': [path.join(ROOT, 'src', 'dashboard', 'index.ts')],
      },
    },
    include: [],
    files: [...SNIPPETS.map((s) => s.source), path.join(DIR, 'engine.d.ts')],
  }, null, 2));
  let output = '';
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', DIR, '--pretty', 'false'], {
      cwd: ROOT, stdio: 'pipe', maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    output = String((error as { stdout?: Buffer }).stdout ?? error);
  }
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line.trim());
    if (!m) continue;
    const file = path.resolve(ROOT, m[1] as string);
    const snippet = SNIPPETS.find((s) => s.source === file);
    const key = snippet ? snippet.source : '*';
    const at = snippet ? where(snippet.generated.origins[Number(m[2]) - 1], file, Number(m[2])) : `${m[1]}:${m[2]}`;
    errors.set(key, [...(errors.get(key) ?? []), `${at}: ${m[4]}`]);
  }
  // The dashboard reads its page assets next to its compiled module.
  fs.cpSync(path.join(ROOT, 'src', 'dashboard', 'assets'), path.join(OUT, 'src', 'dashboard', 'assets'), { recursive: true });
}, 300_000);

afterAll(() => {
  fs.rmSync(DIR, { recursive: true, force: true });
});

/** Runs a compiled snippet; resolves to its output, rejects with it. */
function runSnippet(s: Snippet, databaseUrl: string | undefined): Promise<string> {
  const js = path.join(OUT, path.relative(ROOT, s.source)).replace(/\.ts$/, '.js');
  const env: NodeJS.ProcessEnv = { ...process.env, SNIPPET_OUT: OUT };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  // A folder of its own as working directory: files a snippet creates (an SQLite file) go there.
  const cwd = fs.mkdtempSync(path.join(DIR, 'run-'));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', path.join(__dirname, 'preload.js'), js], { cwd, env, timeout: 90_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!error) return resolve(output);
      const how = (error as { killed?: boolean }).killed
        ? 'did not finish within 90 s (does it close what it opens: the store, Sequelize, servers?)'
        : `exited with ${String((error as { code?: unknown }).code)}`;
      reject(new Error(`${s.name} ${how}:\n${output}`));
    });
  });
}

/** The lines the block's marker says its output contains. */
function expectOutput(s: Snippet, output: string): void {
  const missing = (s.block.marker.output ?? []).filter((line) => !output.includes(line));
  if (missing.length > 0) throw new Error(`${s.name}: its output lacks ${JSON.stringify(missing)}; it printed:\n${output}`);
}

let pgDatabases = 0;
/** A fresh PostgreSQL database for one run (dropped afterwards). */
async function withPostgresDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const name = `bulk_docs_${process.pid}_${Date.now().toString(36)}_${(pgDatabases += 1)}`;
  const admin = new Sequelize(PG_URL as string, { logging: false });
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(PG_URL as string);
    url.pathname = `/${name}`;
    await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await admin.close();
  }
}

test('the documentation has TypeScript blocks to test, and the harness and the sources compile', () => {
  expect(SNIPPETS.filter((s) => s.block.file === 'README.md').length).toBeGreaterThan(3);
  expect(errors.get('*') ?? []).toEqual([]);
});

describe.each(SNIPPETS.map((s) => [`${s.name} (${s.block.marker.mode})`, s] as const))('%s', (_label, s) => {
  test('compiles', () => {
    const found = errors.get(s.source) ?? [];
    if (found.length > 0) throw new Error(`${s.name} does not compile:\n${found.join('\n')}`);
  });

  if (s.runs) {
    test('runs on SQLite', async () => {
      if (errors.has(s.source)) throw new Error(`${s.name} does not compile (see its "compiles" test)`);
      expectOutput(s, await runSnippet(s, undefined));
    });
    if (PG_URL) {
      test('runs on PostgreSQL', async () => {
        if (errors.has(s.source)) throw new Error(`${s.name} does not compile (see its "compiles" test)`);
        await withPostgresDatabase(async (url) => { expectOutput(s, await runSnippet(s, url)); });
      });
    }
  }
});

const SHELL = blocks.filter((b) => SHELL_LANGS.has(b.lang));
const program = buildProgram({ out: () => undefined, err: () => undefined, env: {}, tty: false }, () => undefined);

test.each(SHELL.map((b) => [`${b.file}:${b.line}`, b] as const))('shell block %s: its commands, scripts, flags and paths exist', (_name, b) => {
  const problems = commandLines(b.code, b.line)
    .flatMap((line) => checkCommand(ROOT, program, line).map((p) => `${b.file}:${line.line}: ${p} (${line.words.join(' ')})`));
  expect(problems).toEqual([]);
});
