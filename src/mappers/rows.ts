/**
 * Row types derived from the entities: the entity classes are the one source
 * of truth for attribute names and their stored types, so a mapper and its
 * entity cannot drift apart (renaming or retyping an entity attribute breaks
 * the mapper at compile time).
 */

/**
 * `T` with some attributes narrowed to what the store writes (a status union
 * instead of `string`, encoded JSON text instead of `unknown`, …). A
 * narrowing that is not a subtype of the entity's own type does not compile.
 */
export type Narrowed<T, N extends { [K in keyof N]: K extends keyof T ? T[K] : never }> = Readonly<Omit<T, keyof N> & N>;

/** One attribute as drivers may hand it back: numbers also as numeric strings, booleans also as 0/1 or text. */
export type AsRead<V> = V extends number ? number | string : V extends boolean ? boolean | number | string : V;

/** Entity attributes as read back, by a model read or by the store's own statements (see {@link AsRead}). */
export type Read<T> = { readonly [K in keyof T]: AsRead<T[K]> };

/** The values of `row` in the order of `keys` (the order of a statement's columns). */
export function valuesOf<T, K extends keyof T>(row: T, keys: readonly K[]): unknown[] {
  const out = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = row[keys[i] as K];
  return out;
}
