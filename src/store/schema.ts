/** `initialize()`: the store's tables and indexes (and PostgreSQL schema), created if missing. */
import type { StoreContext } from './context';
import type { StoreModels } from './models';

/**
 * Creates the tables and indexes if they do not exist (and, on PostgreSQL,
 * the schema). Idempotent. MySQL/MariaDB tables get a binary NO PAD
 * collation, so ids compare exactly as on the other dialects.
 */
export async function createTables(ctx: StoreContext, models: StoreModels): Promise<void> {
  const { dialect, settings } = ctx;
  await ctx.guard({ operation: 'initialize' }, async () => {
    if (settings.schema && dialect.createSchema) {
      await ctx.sequelize.query(dialect.createSchema(settings.schema), { transaction: null });
    }
    let tableOptions = {};
    if (dialect.exactTextTableOptions) {
      const [server] = await ctx.select<{ v: unknown }>('SELECT VERSION() AS v', []);
      tableOptions = dialect.exactTextTableOptions(String(server?.v ?? ''));
    }
    await models.Job.sync(tableOptions);
    await models.Batch.sync(tableOptions);
    await models.Record.sync(tableOptions);
  });
}
