/**
 * Slow tests: worker processes, a real browser, long imports. They run only
 * with `SLOW_TESTS=1`, which `.ci/run` sets, so that `npm test` on a
 * developer's machine stays short; without it they are reported as skipped.
 *
 *   SLOW_TESTS=1 npm test          # everything, as CI runs it
 *
 * `TEST_VERBOSE=1` lets tests print their timings (see {@link verbose}).
 */
export const SLOW_TESTS = process.env.SLOW_TESTS === '1';

/** `test`, or `test.skip` without SLOW_TESTS=1. */
export const slowTest: jest.It = SLOW_TESTS ? test : test.skip;

/** `describe`, or `describe.skip` without SLOW_TESTS=1. */
export const slowDescribe: jest.Describe = SLOW_TESTS ? describe : describe.skip;

/** Writes a line of test diagnostics (timings), only with TEST_VERBOSE=1: a passing run prints nothing else. */
export function verbose(line: string): void {
  if (process.env.TEST_VERBOSE === '1') process.stdout.write(`${line}\n`);
}
