/**
 * An error the CLI reports as one line on stderr, with an exit code:
 * 1 for a failure (database, unknown job), 2 for a usage error (bad flag,
 * bad URL).
 */
export class CliError extends Error {
  /**
   * @param message - one line, shown as `bulkimport-state: <message>`.
   * @param exitCode - the process exit code (default 1).
   */
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
