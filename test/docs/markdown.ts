/**
 * The code blocks of the documentation, and how each one is tested.
 *
 * Every fenced block whose language is `ts` or `typescript` is compiled with
 * the project's TypeScript and, unless its marker says otherwise, run; `bash`
 * and `sh` blocks are checked (commands, npm scripts, CLI flags and paths
 * exist) but not run. Other languages (and blocks without one) are text.
 *
 * A block is a whole program unless an HTML comment right before its fence
 * (blank lines between are allowed; the comment does not show on GitHub)
 * says otherwise:
 *
 *     <!-- snippet: MODE [ARG ...]
 *     before:            (a section's first line may follow its colon: `after: await store.close();`)
 *       code run before the block, in the same scope (e.g. the objects a fragment uses)
 *     after:
 *       code run after it, in the same scope (e.g. checks of what it did)
 *     output:
 *       lines its standard output must contain (what the block's comments say it prints)
 *     -->
 *
 * MODE is one of
 * - `run` (the default): run with node on SQLite, and on PostgreSQL when PG_URL is set. The block
 *   may use top-level `await`; `process.env.DATABASE_URL` is unset for SQLite and names a fresh
 *   PostgreSQL database otherwise. With the argument `continues`, the block continues the previous
 *   `run` block of the same file: they run as one program, in order.
 * - `nest MODULE`: a NestJS module file; the test creates a Nest application context of `MODULE`
 *   (`app` in the `after:` code) and closes it.
 * - `typecheck REASON`: compiled, never run, because it needs what cannot be installed here
 *   (REASON says what: the engine's packages, a web framework). The engine's packages
 *   (`@batchactions/core`, `import`, `distributed`) are declared in `engineTypes.ts` with the
 *   store's own port types.
 *
 * The `before:`/`after:` code may call `openTestSequelize()` (a Sequelize instance on `DATABASE_URL`,
 * else an in-memory SQLite database) and `openTestStore()` (an initialized store on one), both closed
 * at the end, and use `assert` (`node:assert/strict`), `testServers()` (the HTTP servers the block
 * started; every `listen` gets a free port) and `expectDashboardAt(server, basePath)`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where a line of generated code comes from. */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

/** Code with the documentation line of its first line. */
export interface Part {
  readonly code: string;
  readonly line: number;
}

/** How a block is tested. */
export interface Marker {
  readonly mode: 'run' | 'nest' | 'typecheck';
  readonly args: readonly string[];
  readonly before?: Part;
  readonly after?: Part;
  /** Lines the run's standard output must contain. */
  readonly output?: readonly string[];
}

/** One fenced code block. */
export interface Block {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly lang: string;
  readonly code: string;
  /** Line (1-based) of the block's first line of code. */
  readonly line: number;
  readonly marker: Marker;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const MODES = ['run', 'nest', 'typecheck'] as const;

/** The fenced blocks of a Markdown file. */
export function extractBlocks(root: string, file: string): Block[] {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] as string;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: code block never closed`);
    blocks.push({ file, lang: lang.toLowerCase(), code: body.join('\n'), line: i + 2, marker: markerBefore(file, lines, i) });
    i = j;
  }
  return blocks;
}

/** The `<!-- snippet: … -->` comment ending right before line `fenceIndex` (blank lines between allowed), or the default. */
function markerBefore(file: string, lines: readonly string[], fenceIndex: number): Marker {
  let end = fenceIndex - 1;
  while (end >= 0 && (lines[end] as string).trim() === '') end--;
  if (end < 0 || !(lines[end] as string).trim().endsWith('-->')) return { mode: 'run', args: [] };
  let start = end;
  while (start >= 0 && !(lines[start] as string).includes('<!--')) start--;
  if (start < 0) return { mode: 'run', args: [] };
  const text = lines.slice(start, end + 1).join('\n');
  const m = /<!--\s*snippet:\s*([^\n]*?)\s*(?:-->\s*$|\n([\s\S]*?)-->\s*$)/.exec(text);
  if (!m) return { mode: 'run', args: [] };
  const [mode = '', ...args] = (m[1] as string).split(/\s+/).filter(Boolean);
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new Error(`${file}:${start + 1}: unknown snippet mode ${JSON.stringify(mode)} (one of ${MODES.join(', ')})`);
  }
  if (mode === 'typecheck' && args.length === 0) throw new Error(`${file}:${start + 1}: a typecheck snippet says why it cannot run`);
  if (mode === 'nest' && args.length === 0) throw new Error(`${file}:${start + 1}: a nest snippet names its module`);
  // Sections: `before:` and `after:` lines, each followed by its code.
  const sections: Record<string, { lines: string[]; line: number }> = {};
  let current: { lines: string[]; line: number } | undefined;
  const rest = (m[2] ?? '').split('\n');
  const firstRestLine = start + 2; // the comment's second line, 1-based
  rest.forEach((raw, k) => {
    const head = /^\s*(before|after|output):\s*(.*)$/.exec(raw);
    if (head) {
      // `after: code` on one line, or `after:` and the code on the lines below.
      const inline = (head[2] as string).trim();
      current = inline ? { lines: [inline], line: firstRestLine + k } : { lines: [], line: firstRestLine + k + 1 };
      sections[head[1] as string] = current;
    } else if (current) {
      current.lines.push(raw);
    } else if (raw.trim() !== '') {
      throw new Error(`${file}:${firstRestLine + k}: snippet marker lines go under "before:", "after:" or "output:"`);
    }
  });
  const part = (name: string): Part | undefined =>
    sections[name] ? { code: dedent(sections[name].lines).join('\n'), line: sections[name].line } : undefined;
  const output = sections.output?.lines.map((l) => l.trim()).filter(Boolean);
  return { mode: mode as Marker['mode'], args, before: part('before'), after: part('after'), ...(output ? { output } : {}) };
}

function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => (/^\s*/.exec(l) as RegExpExecArray)[0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

/** The Markdown files whose blocks are tested: README.md and docs/*.md (not the generated docs/api). */
export function documentationFiles(root: string): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}
