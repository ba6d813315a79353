/** The driver's own error behind a Sequelize error (`original`/`parent`), or the error itself. */
export function driverError(error: unknown): { code?: unknown; errno?: unknown; message?: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { original?: unknown; parent?: unknown };
  return (e.original ?? e.parent ?? error) as { code?: unknown; errno?: unknown; message?: string };
}
