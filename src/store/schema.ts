/** `initialize()`: the store's tables and indexes (and PostgreSQL schema), created if missing. */
import type { ModelAttributeColumnOptions } from 'sequelize';
import type { StoreContext } from './context';
import { ensureCounters } from './counters';
import type { StoreModels } from './models';

/**
 * Creates the tables and indexes if they do not exist (and, on PostgreSQL,
 * the schema and the progress counters). Idempotent. MySQL/MariaDB tables get a binary NO PAD
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
    for (const model of [models.Job, models.Batch, models.Record]) {
      await model.sync(tableOptions);
      await addMissingColumns(ctx, model as unknown as Parameters<typeof addMissingColumns>[1]);
    }
    await ensureCounters(ctx);
  });
}

/**
 * Adds the model's columns that an existing table lacks: a table made by an
 * older version of the library gets the columns later versions added (all
 * nullable), as the migrations would add them.
 */
async function addMissingColumns(ctx: StoreContext, model: { tableName: string; getAttributes(): Record<string, ModelAttributeColumnOptions> }): Promise<void> {
  const qi = ctx.sequelize.getQueryInterface();
  const schema = ctx.settings.schema;
  const ref = (schema ? { tableName: model.tableName, schema } : model.tableName) as string;
  const described = await qi.describeTable(model.tableName, schema ? { schema } : undefined);
  for (const attribute of Object.values(model.getAttributes())) {
    const column = attribute.field as string;
    if (!(column in described) && attribute.allowNull !== false) await qi.addColumn(ref, column, attribute);
  }
}
