/**
 * Parsing the CLI's arguments: durations, bounded integers, job statuses.
 * Pure; every error is a usage `CliError` naming the flag.
 */
import type { JobStatus } from '../ports';
import { CliError } from './errors';

/** The engine's job statuses. */
export const JOB_STATUS_LIST: readonly JobStatus[] = [
  'CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED',
];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration: `1500` or `1500ms`, `30s`, `5m`, `2h`, `7d`, `1w` (decimals allowed).
 * @throws CliError (usage) naming the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(String(text));
  if (!m) throw new CliError(`${flag} must be a duration such as 500, 30s, 5m, 12h or 7d; got ${JSON.stringify(text)}`, 2);
  const ms = Math.round(Number(m[1]) * (UNITS[(m[2] ?? 'ms').toLowerCase()] as number));
  if (!Number.isSafeInteger(ms)) throw new CliError(`${flag} is too large`, 2);
  return ms;
}

/**
 * An integer within bounds.
 * @throws CliError (usage) naming the flag.
 */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const s = String(text).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`, 2);
  }
  return n;
}

/**
 * A comma-separated list of job statuses, any case.
 * @throws CliError (usage) for an unknown status.
 */
export function parseStatuses(text: string, flag: string): JobStatus[] {
  const out: JobStatus[] = [];
  for (const part of String(text).split(',').map((p) => p.trim().toUpperCase()).filter(Boolean)) {
    if (!(JOB_STATUS_LIST as readonly string[]).includes(part)) {
      throw new CliError(`${flag}: unknown status ${JSON.stringify(part)}; use ${JOB_STATUS_LIST.join(', ')}`, 2);
    }
    if (!out.includes(part as JobStatus)) out.push(part as JobStatus);
  }
  if (out.length === 0) throw new CliError(`${flag} needs at least one status`, 2);
  return out;
}

