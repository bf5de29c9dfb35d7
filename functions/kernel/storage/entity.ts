import { z } from 'zod';
import { Conditions, type Changes, type Condition } from './conditions';
import type { ItemKey, Listing } from './keys';
import { Writes, type TransactWrite, type WriteOptions } from './writes';

/**
 * One definition per stored entity, in the spirit of electrodb's models: its schema, its key (from
 * the key space, `Keys`), its listings (`Listings`), the index attributes its items carry and, on
 * top of the storage layer's `Conditions`, whatever named conditions its rules need. Domain code
 * reads and writes through it, so no domain module writes a key, a prefix or an expression.
 *
 * @example
 * export const Projects = defineEntity({ name: 'project', schema: ProjectRecord, key: Keys.project, queries: { ofOrg: Listings.projectsOfOrg } });
 * await table.read(Projects.at(scope, projectId));
 * await table.queryPage(Projects.query.ofOrg(scope), { limit: 50 });
 * writes.push(Projects.at(scope, project.projectId).putVersioned(item, 0));
 */

/**
 * The fields every mutable resource records about itself: who made it and when, when it last
 * changed, and its optimistic-locking version. Spread into a record's schema.
 */
export const RecordStamps = {
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  version: z.number(),
} as const;

/** An attribute set as written: the schema's input, plus the TTL attribute any item may carry. */
export type Attributes<S extends z.ZodType> = z.input<S> & { readonly expiresAt?: number | undefined };

type ListingTemplates = Readonly<Record<string, (...args: never[]) => Listing>>;

export interface EntityDefinition<S extends z.ZodType, A extends readonly unknown[], Q extends ListingTemplates> {
  /** Singular, for messages and docs (`project`). */
  readonly name: string;
  readonly schema: S;
  readonly key: (...args: A) => ItemKey;
  /** The access patterns that list this entity, by name (`ofOrg`), from `Listings`. */
  readonly queries?: Q;
  /** Index attributes every item carries, from what it holds and its key's arguments (`IndexKeys`). */
  readonly indexKeys?: (attributes: Attributes<S>, ...args: A) => Readonly<Record<string, string>>;
}

/** A listing of one entity: what `Table.queryPage` and `Table.queryAll` read, parsed by its schema. */
export interface EntityQuery<S extends z.ZodType> extends Listing {
  readonly entity: string;
  readonly schema: S;
}

/** One item of an entity, by its key: reads go through `Table`, writes are built here. */
export interface EntityItem<S extends z.ZodType> {
  readonly entity: string;
  readonly key: ItemKey;
  readonly schema: S;
  /** Writes the item whole (with its index attributes), optionally only `when` a condition holds. */
  put(attributes: Attributes<S>, options?: WriteOptions): TransactWrite;
  /** Writes a new item: fails (`onConditionFailed`) if one exists. */
  create(attributes: Attributes<S>, onConditionFailed?: () => Error): TransactWrite;
  /** A put under optimistic locking: the stored version must be `expectedVersion` (0 = absent); writes +1. */
  putVersioned(attributes: Omit<Attributes<S>, 'version'>, expectedVersion: number, onConditionFailed?: () => Error): TransactWrite;
  /** Replaces a record read earlier, under optimistic locking on the version it was read at. */
  replace(record: Attributes<S> & { readonly version: number }, onConditionFailed?: () => Error): TransactWrite;
  update(changes: Changes, options?: WriteOptions): TransactWrite;
  delete(options?: WriteOptions): TransactWrite;
  /** A condition on the item that the transaction holds to without changing the item. */
  check(condition: Condition, onConditionFailed: () => Error): TransactWrite;
}

export interface Entity<S extends z.ZodType, A extends readonly unknown[], Q extends ListingTemplates> {
  readonly name: string;
  readonly schema: S;
  key(...args: A): ItemKey;
  at(...args: A): EntityItem<S>;
  readonly query: { readonly [K in keyof Q]: (...args: Parameters<Q[K]>) => EntityQuery<S> };
}

export function defineEntity<S extends z.ZodType, A extends readonly unknown[], Q extends ListingTemplates = Record<never, never>>(
  definition: EntityDefinition<S, A, Q>,
): Entity<S, A, Q> {
  const { name, schema } = definition;
  const queries = Object.fromEntries(
    Object.entries(definition.queries ?? {}).map(([queryName, listing]) => [
      queryName,
      (...args: never[]) => ({ ...listing(...args), entity: name, schema }) satisfies EntityQuery<S>,
    ]),
  ) as unknown as Entity<S, A, Q>['query'];

  const at = (...args: A): EntityItem<S> => {
    const key = definition.key(...args);
    const item = (attributes: object) => ({
      ...(attributes as Record<string, unknown>),
      ...(definition.indexKeys?.(attributes as Attributes<S>, ...args) ?? {}),
      ...key,
    });
    return {
      entity: name,
      key,
      schema,
      put: (attributes, options = {}) => Writes.put(item(attributes), options.when, options.onConditionFailed),
      create: (attributes, onConditionFailed) => Writes.put(item(attributes), Conditions.notExists, onConditionFailed),
      putVersioned: (attributes, expectedVersion, onConditionFailed) => Writes.putVersioned(item(attributes), expectedVersion, onConditionFailed),
      replace: (record, onConditionFailed) => {
        const { version, ...rest } = record;
        return Writes.putVersioned(item(rest), version, onConditionFailed);
      },
      update: (changes, options = {}) => Writes.update(key, changes, options.when, options.onConditionFailed),
      delete: (options = {}) => Writes.delete(key, options.when, options.onConditionFailed),
      check: (condition, onConditionFailed) => Writes.check(key, condition, onConditionFailed),
    };
  };

  return { name, schema, key: definition.key, at, query: queries };
}
