import { addOptions } from 'sequelize-typescript';
import { Column, DataType } from 'sequelize-typescript';

/**
 * Marks the property as the optimistic-locking version column.
 *
 * sequelize-typescript 2 has no `@Version`; Sequelize's own mechanism is the
 * `version` model option. This decorator declares an `INTEGER NOT NULL DEFAULT 0`
 * column and turns the option on for it, so `instance.save()` adds
 * `AND version = ?` and throws `OptimisticLockError` on a stale instance.
 *
 * The store's own statements do not rely on instance saves: every state change
 * they make moves the column with `version = version + 1` in the same statement.
 */
export function Version(target: object, propertyName: string): void {
  Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })(target, propertyName);
  addOptions(target, { version: propertyName });
}
