/**
 * Checks of the command lines in `bash`/`sh` blocks, which are not run:
 * `npm run X` names a script of package.json; `bulkimport-state …` (also as
 * `npx bulkimport-state` or `npm run cli -- …`) names a command and options
 * the CLI has; `npm run demo -- …` options the demo has; files and folders
 * named as arguments (`npx jest test/cli`, `bash .ci/run`) exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';

/** One command of a shell block: its words, after `VAR=value` prefixes. */
export interface CommandLine {
  readonly words: readonly string[];
  /** 1-based line in the Markdown file. */
  readonly line: number;
}

/** Splits a shell block into simple commands (joined continuation lines, comments dropped, split at `&&`, `||`, `;`, `|`). */
export function commandLines(code: string, firstLine: number): CommandLine[] {
  const out: CommandLine[] = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i] as string;
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i] as string}`;
    for (const simple of splitCommands(words(text))) {
      const rest = [...simple];
      while (rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0] as string)) rest.shift();
      if (rest[0] === 'export') continue;
      if (rest.length > 0) out.push({ words: rest, line: firstLine + start });
    }
  }
  return out;
}

/** Shell words: quotes removed, `#` comments dropped, operators as their own words. */
function words(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      word += text.slice(i + 1, end < 0 ? text.length : end);
      inWord = true;
      i = end < 0 ? text.length : end;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if ('&|;'.includes(c)) {
      if (inWord) out.push(word);
      const op = text[i + 1] === c ? c + c : c;
      out.push(op);
      i += op.length - 1;
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

function splitCommands(ws: readonly string[]): string[][] {
  const out: string[][] = [[]];
  for (const w of ws) {
    if (['&&', '||', ';', '|', '&'].includes(w)) out.push([]);
    else (out[out.length - 1] as string[]).push(w);
  }
  return out.filter((c) => c.length > 0);
}

/** Long and short flags of a commander command, with whether each takes a value. */
function flagsOf(cmd: Command): Map<string, boolean> {
  const flags = new Map<string, boolean>([['--help', false], ['-h', false]]);
  for (const o of cmd.options) {
    const takes = o.required || o.optional;
    if (o.long) flags.set(o.long, takes);
    if (o.short) flags.set(o.short, takes);
  }
  return flags;
}

/** Problems with a `bulkimport-state` argument list, checked against the program's commands and options. */
export function checkCliArgs(program: Command, args: readonly string[]): string[] {
  const problems: string[] = [];
  const globals = flagsOf(program);
  let i = 0;
  for (; i < args.length && (args[i] as string).startsWith('-'); i++) {
    const [flag] = (args[i] as string).split('=');
    if (!globals.has(flag as string)) problems.push(`no global option ${flag}`);
    else if (globals.get(flag as string) && !(args[i] as string).includes('=')) i++;
  }
  if (i >= args.length) return problems;
  const name = args[i] as string;
  const command = program.commands.find((c) => c.name() === name);
  if (!command) return [...problems, `no command ${JSON.stringify(name)} (commands: ${program.commands.map((c) => c.name()).join(', ')})`];
  const own = flagsOf(command);
  for (i += 1; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-') || arg === '-') continue;
    const [flag] = arg.split('=');
    const takes = own.get(flag as string) ?? globals.get(flag as string);
    if (takes === undefined) problems.push(`${name} has no option ${flag}`);
    else if (takes && !arg.includes('=')) i++;
  }
  return problems;
}

/** The long options `demo/run.ts` declares (`.option('--x …')`). */
export function demoFlags(root: string): Set<string> {
  const source = fs.readFileSync(path.join(root, 'demo', 'run.ts'), 'utf8');
  const flags = new Set(['--help', '-h']);
  for (const m of source.matchAll(/\.option\(\s*'([^']+)'/g)) {
    for (const part of (m[1] as string).split(/[\s,]+/)) if (part.startsWith('-')) flags.add(part.replace(/^--no-/, '--no-'));
  }
  return flags;
}

/** Problems with one command line of the documentation. */
export function checkCommand(root: string, program: Command, line: CommandLine): string[] {
  const w = line.words;
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const exists = (p: string): boolean => fs.existsSync(path.join(root, p));
  const [head, second, third] = w;
  if (head === 'npm' && second === 'run') {
    if (!third || !(third in scripts)) return [`no npm script ${JSON.stringify(third)}`];
    const dashDash = w.indexOf('--');
    const after = dashDash >= 0 ? w.slice(dashDash + 1) : [];
    if (third === 'cli') return checkCliArgs(program, after);
    if (third === 'demo') {
      const flags = demoFlags(root);
      return after.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0] as string)
        .filter((f) => !flags.has(f)).map((f) => `the demo has no option ${f}`);
    }
    return [];
  }
  if (head === 'npm' && second === 'test') return 'test' in scripts ? [] : ['no npm test script'];
  if (head === 'bulkimport-state') return checkCliArgs(program, w.slice(1));
  if (head === 'npx' && second === 'bulkimport-state') return checkCliArgs(program, w.slice(2));
  if (head === 'npx' && second === 'jest') {
    return w.slice(2).filter((a) => !a.startsWith('-') && /^(test|src)\//.test(a)).filter((p) => !exists(p)).map((p) => `no such path ${p}`);
  }
  if (head === 'bash' && second && !second.startsWith('-')) return exists(second) ? [] : [`no such file ${second}`];
  return [];
}
