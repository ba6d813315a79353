/**
 * Turns documentation blocks into TypeScript files that compile and run, and
 * maps the compiler's line numbers back to the Markdown.
 *
 * A `run` or `typecheck` block becomes the body of an async function (so it
 * may use top-level `await` and still compile as CommonJS, as the project
 * does), with its imports hoisted above it; a `nest` block stays a module
 * (its classes may be exported) with a bootstrap appended.
 */
import * as ts from 'typescript';
import type { Block, Origin, Part } from './markdown';

/** A generated file: its text and, per line, where that line comes from. */
export interface Generated {
  readonly text: string;
  readonly origins: readonly (Origin | undefined)[];
}

class Writer {
  private readonly lines: string[] = [];
  private readonly origins: (Origin | undefined)[] = [];

  /** Adds harness code (no documentation origin). */
  raw(code: string): void {
    for (const line of code.split('\n')) {
      this.lines.push(line);
      this.origins.push(undefined);
    }
  }

  /** Adds documentation code; line k of `code` comes from `file` line `line + k`. */
  mapped(code: string, file: string, line: number): void {
    code.split('\n').forEach((l, k) => {
      this.lines.push(l);
      this.origins.push({ file, line: line + k });
    });
  }

  done(): Generated {
    return { text: `${this.lines.join('\n')}\n`, origins: this.origins };
  }
}

/** Splits code into its import statements (each with its first line offset) and the rest, lines kept in place. */
function splitImports(code: string): { imports: { text: string; offset: number }[]; body: string } {
  const sf = ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: { text: string; offset: number }[] = [];
  let body = code;
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isImportEqualsDeclaration(statement)) continue;
    const start = statement.getStart(sf);
    const text = code.slice(start, statement.end);
    imports.push({ text, offset: sf.getLineAndCharacterOfPosition(start).line });
    // Blank it out, keeping the line breaks so that the body's lines stay where they were.
    body = body.slice(0, start) + text.replace(/[^\n]/g, ' ') + body.slice(statement.end);
  }
  return { imports, body };
}

/** Harness helpers every run/typecheck program can use (see markdown.ts). */
const PRELUDE = `import assert from 'node:assert/strict';
import { Sequelize as __Sequelize } from 'sequelize';
import { SequelizeStateStore as __Store } from '@batchactions/state-sequelize';
import type { Server as __Server } from 'http';
export {};
const __cleanups: (() => Promise<void>)[] = [];
/** A Sequelize instance on DATABASE_URL (else in-memory SQLite), closed when the block is done. */
function openTestSequelize(): __Sequelize {
  const url = process.env.DATABASE_URL;
  const sequelize = url ? new __Sequelize(url, { logging: false }) : new __Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  __cleanups.push(() => sequelize.close());
  return sequelize;
}
/** A store on openTestSequelize(), initialized, closed when the block is done. */
async function openTestStore(): Promise<__Store> {
  const store = new __Store(openTestSequelize());
  await store.initialize();
  __cleanups.push(() => store.close());
  return store;
}
/** The HTTP servers the block started (test/docs/preload.js records them). */
function testServers(): __Server[] {
  return (globalThis as { __snippetServers?: __Server[] }).__snippetServers ?? [];
}
/** Checks that \`server\` serves the dashboard's job list under \`basePath\`, then closes it. */
async function expectDashboardAt(server: __Server, basePath: string): Promise<void> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const response = await fetch(\`http://127.0.0.1:\${port}\${basePath}/api/jobs\`);
  assert.equal(response.status, 200);
  assert.ok(Array.isArray(((await response.json()) as { jobs?: unknown }).jobs));
  await new Promise((resolve) => server.close(resolve));
}
void assert; void openTestSequelize; void openTestStore; void testServers; void expectDashboardAt;`;

const FINISH = `__snippet().then(
  async () => { for (const c of __cleanups.reverse()) await c(); },
  (error: unknown) => { console.error(error); process.exit(1); },
);`;

function addPart(w: Writer, part: Part | undefined, file: string): void {
  if (part) w.mapped(part.code, file, part.line);
}

/**
 * A `run` or `typecheck` program: `chain` is the block and the blocks it
 * continues, oldest first; the marker of the last one applies.
 */
export function scriptProgram(chain: readonly Block[]): Generated {
  const last = chain[chain.length - 1] as Block;
  const w = new Writer();
  w.raw(PRELUDE);
  const parts: { code: string; file: string; line: number }[] = [];
  if (last.marker.before) parts.push({ ...last.marker.before, file: last.file });
  for (const b of chain) parts.push({ code: b.code, file: b.file, line: b.line });
  if (last.marker.after) parts.push({ ...last.marker.after, file: last.file });
  const split = parts.map((p) => ({ ...p, ...splitImports(p.code) }));
  for (const p of split) for (const i of p.imports) w.mapped(i.text, p.file, p.line + i.offset);
  w.raw('async function __snippet(): Promise<void> {');
  for (const p of split) w.mapped(p.body, p.file, p.line);
  w.raw('}');
  w.raw(FINISH);
  return w.done();
}

/** A `nest` program: the module file as written, then a Nest application context of `moduleName` around the `after:` code. */
export function nestProgram(block: Block): Generated {
  const moduleName = block.marker.args[0] as string;
  const w = new Writer();
  w.mapped(block.code, block.file, block.line);
  w.raw(`import { NestFactory as __NestFactory } from '@nestjs/core';
import assert from 'node:assert/strict';
void assert;
async function __snippet(): Promise<void> {
  const app = await __NestFactory.createApplicationContext(${moduleName}, { logger: false, abortOnError: false });
  try {`);
  addPart(w, block.marker.after, block.file);
  w.raw(`  } finally {
    await app.close();
  }
}
__snippet().then(undefined, (error: unknown) => { console.error(error); process.exit(1); });`);
  return w.done();
}
