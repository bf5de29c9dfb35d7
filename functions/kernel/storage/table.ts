import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
  TransactionConflictException,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ConflictError, PreconditionFailedError, ServiceUnavailableError } from '../errors';
import { Conditions, updateExpression, type Changes, type Condition } from './conditions';
import { decodeCursor, encodeCursor, type CursorExpectation } from './cursor';
import type { EntityItem, EntityQuery } from './entity';
import type { IndexName, ItemKey, Listing } from './keys';
import { TableDefinition } from './table-definition';
import { withTableName, type TransactWrite } from './writes';

export type { ItemKey } from './keys';
export type { TransactWrite, TransactWriteItem } from './writes';

export interface Page<T> {
  readonly items: T[];
  /** Opaque; present when more items may follow. */
  readonly cursor?: string;
}

export interface QueryOptions<S extends z.ZodType> {
  readonly schema: S;
  /** Value of the partition key (of the index, when `index` is set). */
  readonly partition: string;
  readonly sortKeyPrefix?: string;
  readonly sortKeyBetween?: readonly [string, string];
  readonly index?: IndexName;
  readonly limit?: number;
  readonly cursor?: string;
  /** Newest first when false. */
  readonly ascending?: boolean;
  readonly consistent?: boolean;
  /** Keep the key and index attributes in each item, for readers that check where an item is stored. */
  readonly withKeys?: boolean;
}

/** How a listing is read a page at a time. */
export interface PageRequest {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
  /** Newest first when false. @default true */
  readonly ascending?: boolean;
  /** Ignored on an index (eventually consistent by nature). @default false */
  readonly consistent?: boolean;
}

/** An item met while walking a listing, and the cursor that resumes the walk right after it. */
export interface WalkedItem {
  /** The item as stored, key and index attributes included. */
  readonly item: Record<string, unknown>;
  /** Where the item is stored in the table (on an index listing, not necessarily the listing's partition). */
  readonly key: ItemKey;
  readonly resumeAfter: () => string;
}

/** Thrown when a transaction was cancelled because one item's own condition failed. */
export class TransactionConditionFailed extends Error {
  constructor(readonly index: number) {
    super(`transaction item ${index} failed its condition`);
    this.name = 'TransactionConditionFailed';
  }
}

/**
 * A transaction was cancelled because another transaction held one of its items at the time
 * (DynamoDB's `TransactionConflict`): nothing was written and the same writes may be retried.
 */
export class TransactionConflictError extends ServiceUnavailableError {}

/** DynamoDB's bound on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

const AnyItem = z.looseObject({});

/** The query options of a listing. */
const listingOptions = (listing: Listing) => ({
  partition: listing.partition,
  ...(listing.sortKeyPrefix !== undefined ? { sortKeyPrefix: listing.sortKeyPrefix } : {}),
  ...(listing.index ? { index: listing.index } : {}),
});

/** The attributes of a LastEvaluatedKey: the index's keys (if any) and the table's. */
const keyAttributesOf = (index: IndexName | undefined): string[] => [
  ...(index ? [TableDefinition.indexes[index].partitionKey, TableDefinition.indexes[index].sortKey] : []),
  TableDefinition.partitionKey,
  TableDefinition.sortKey,
];

const KEY_AND_INDEX_ATTRIBUTES = new Set<string>([
  TableDefinition.partitionKey,
  TableDefinition.sortKey,
  ...Object.values(TableDefinition.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
]);

/** What a cursor presented to a query must match: the query's own partition and sort-key range. */
function cursorExpectation(options: Pick<QueryOptions<z.ZodType>, 'partition' | 'sortKeyPrefix' | 'sortKeyBetween' | 'index'>): CursorExpectation {
  const keys = options.index ? TableDefinition.indexes[options.index] : { partitionKey: TableDefinition.partitionKey, sortKey: TableDefinition.sortKey };
  return {
    keyAttributes: keyAttributesOf(options.index),
    partitionAttribute: keys.partitionKey,
    partition: options.partition,
    sortAttribute: keys.sortKey,
    ...(options.sortKeyPrefix !== undefined ? { sortKeyPrefix: options.sortKeyPrefix } : {}),
    ...(options.sortKeyPrefix === undefined && options.sortKeyBetween ? { sortKeyBetween: options.sortKeyBetween } : {}),
  };
}

/** Removes the storage-only attributes before an item is parsed as an entity. */
function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_AND_INDEX_ATTRIBUTES.has(k)) out[k] = v;
  return out;
}

export interface TableOptions {
  readonly tableName: string;
  /** Injectable for tests; defaulted from `clientConfig`. */
  readonly client?: DynamoDBDocumentClient;
  readonly clientConfig?: DynamoDBClientConfig;
}

/**
 * The storage port: typed access to the single table. The same class serves DynamoDB in AWS and
 * DynamoDB Local; only the client's endpoint differs, and that is chosen once at start-up.
 */
export class Table {
  readonly name: string;
  readonly doc: DynamoDBDocumentClient;

  constructor(options: TableOptions) {
    this.name = options.tableName;
    this.doc =
      options.client ??
      DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, ...options.clientConfig }), {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      });
  }

  /** Reads one item and parses it; `undefined` when it does not exist or has expired. */
  async get<S extends z.ZodType>(key: ItemKey, schema: S, options: { consistent?: boolean } = {}): Promise<z.output<S> | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: options.consistent ?? true }));
    if (!out.Item || isExpired(out.Item)) return undefined;
    return schema.parse(withoutKeys(out.Item));
  }

  /** A real round trip to the table (a consistent read of a fixed key), bounded in time. */
  async ping(key: ItemKey, timeoutMs: number): Promise<void> {
    await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Writes one item; `condition` fragments from `Conditions`. A failed condition becomes `onConditionFailed()`. */
  async put(
    item: ItemKey & Record<string, unknown>,
    options: { condition?: Condition; onConditionFailed?: () => Error } = {},
  ): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.name, Item: item, ...options.condition }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw options.onConditionFailed?.() ?? new ConflictError('The item already exists or changed.');
      }
      throw error;
    }
  }

  /**
   * Replaces a mutable entity under optimistic locking: succeeds only if the stored version is
   * `expectedVersion` (0 = must not exist yet), and stores `expectedVersion + 1`.
   */
  async putVersioned(item: ItemKey & Record<string, unknown>, expectedVersion: number): Promise<number> {
    const next = expectedVersion + 1;
    await this.put(
      { ...item, [TableDefinition.versionAttribute]: next },
      {
        condition: expectedVersion === 0 ? Conditions.notExists : Conditions.versionIs(expectedVersion),
        onConditionFailed: () => (expectedVersion === 0 ? new ConflictError('The resource already exists.') : new PreconditionFailedError()),
      },
    );
    return next;
  }

  /**
   * Takes a single-use item: deletes it if it exists and has not expired, and returns what it held.
   * Two callers racing for the same item cannot both get it (the delete is conditional).
   */
  async consume<S extends z.ZodType>(key: ItemKey, schema: S, nowSeconds = Math.floor(Date.now() / 1000)): Promise<z.output<S> | undefined> {
    try {
      const out = await this.doc.send(
        new DeleteCommand({ TableName: this.name, Key: key, ...Conditions.all(Conditions.exists, Conditions.unexpired(nowSeconds)), ReturnValues: 'ALL_OLD' }),
      );
      return out.Attributes ? (schema.parse(withoutKeys(out.Attributes)) as z.output<S>) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** One named access pattern = one call of this; never a Scan. */
  async query<S extends z.ZodType>(options: QueryOptions<S>): Promise<Page<z.output<S>>> {
    const keys = options.index ? TableDefinition.indexes[options.index] : { partitionKey: TableDefinition.partitionKey, sortKey: TableDefinition.sortKey };
    const names: Record<string, string> = { '#p': keys.partitionKey };
    const values: Record<string, unknown> = { ':p': options.partition };
    let condition = '#p = :p';
    if (options.sortKeyPrefix !== undefined) {
      names['#s'] = keys.sortKey;
      values[':s'] = options.sortKeyPrefix;
      condition += ' AND begins_with(#s, :s)';
    } else if (options.sortKeyBetween) {
      names['#s'] = keys.sortKey;
      values[':lo'] = options.sortKeyBetween[0];
      values[':hi'] = options.sortKeyBetween[1];
      condition += ' AND #s BETWEEN :lo AND :hi';
    }
    const startKey = decodeCursor(options.cursor, cursorExpectation(options));
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.name,
        IndexName: options.index,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: startKey,
        Limit: options.limit,
        ScanIndexForward: options.ascending ?? true,
        ConsistentRead: options.index ? undefined : options.consistent,
      }),
    );
    const items = (out.Items ?? []).filter((i) => !isExpired(i)).map((i) => options.schema.parse(options.withKeys ? i : withoutKeys(i)) as z.output<S>);
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return cursor === undefined ? { items } : { items, cursor };
  }

  /** Reads one entity item; `undefined` when it does not exist or has expired. Consistent unless told otherwise. */
  read<S extends z.ZodType>(item: EntityItem<S>, options: { consistent?: boolean } = {}): Promise<z.output<S> | undefined> {
    return this.get(item.key, item.schema, { consistent: options.consistent ?? true });
  }

  /** Whether an entity item exists (consistent read; what it holds is not parsed). */
  async exists(item: Pick<EntityItem<z.ZodType>, 'key'>): Promise<boolean> {
    return (await this.get(item.key, AnyItem, { consistent: true })) !== undefined;
  }

  /** Takes a single-use entity item (see `consume`). */
  take<S extends z.ZodType>(item: EntityItem<S>, nowSeconds?: number): Promise<z.output<S> | undefined> {
    return this.consume(item.key, item.schema, nowSeconds);
  }

  /** One page of an entity's listing; its cursor is checked against the same listing when it comes back. */
  queryPage<S extends z.ZodType>(query: EntityQuery<S>, page: PageRequest = {}): Promise<Page<z.output<S>>> {
    return this.query({
      schema: query.schema,
      ...listingOptions(query),
      ...(page.limit !== undefined ? { limit: page.limit } : {}),
      ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
      ...(page.ascending !== undefined ? { ascending: page.ascending } : {}),
      ...(page.consistent !== undefined ? { consistent: page.consistent } : {}),
    });
  }

  /** Every item of an entity's listing, across all pages (for listings bounded by the domain's own limits). */
  async queryAll<S extends z.ZodType>(query: EntityQuery<S>, options: Omit<PageRequest, 'cursor' | 'limit'> = {}): Promise<z.output<S>[]> {
    const items: z.output<S>[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.queryPage(query, { ...options, cursor });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return items;
  }

  /** The keys of every item of a listing, whatever entity they belong to (consistent). */
  async queryKeys(listing: Listing): Promise<ItemKey[]> {
    const keys: ItemKey[] = [];
    for await (const { key } of this.walk(listing, { ascending: true, readPage: 1000 })) keys.push(key);
    return keys;
  }

  /**
   * Walks a listing in order across pages, consistently, yielding each item as stored with the
   * cursor that resumes right after it, so a reader can stop on any item (a full page, a byte
   * budget, a filter's bound) and still hand out an exact cursor.
   */
  async *walk(listing: Listing, options: { readonly ascending: boolean; readonly readPage: number; readonly cursor?: string | undefined }): AsyncGenerator<WalkedItem> {
    const keyAttributes = keyAttributesOf(listing.index);
    let cursor = options.cursor;
    do {
      const page = await this.query({
        schema: AnyItem,
        ...listingOptions(listing),
        ascending: options.ascending,
        limit: options.readPage,
        consistent: true,
        withKeys: true,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        const key = { pk: item[TableDefinition.partitionKey] as string, sk: item[TableDefinition.sortKey] as string };
        yield { item, key, resumeAfter: () => encodeCursor(Object.fromEntries(keyAttributes.map((name) => [name, item[name]])))! };
      }
      cursor = page.cursor;
    } while (cursor);
  }

  /**
   * The sort key after which a cursor of `listing` resumes (`undefined` without a cursor), checked as
   * a query of the listing checks it: for readers that serve a listing's pages from items read one by one.
   */
  resumePointOf(listing: Listing, cursor: string | undefined): string | undefined {
    const expected = cursorExpectation(listingOptions(listing));
    return decodeCursor(cursor, expected)?.[expected.sortAttribute];
  }

  /** The cursor that resumes a table listing right after the item at `key`, as a query stopping there would give it. */
  cursorAfter(listing: Listing, key: ItemKey): string {
    if (listing.index || key.pk !== listing.partition || !key.sk.startsWith(listing.sortKeyPrefix ?? '')) throw new TypeError('the key is not an item of the listing');
    return encodeCursor({ [TableDefinition.partitionKey]: key.pk, [TableDefinition.sortKey]: key.sk })!;
  }

  /** Writes that need not be atomic together, in transactions of at most `batchSize` (DynamoDB's limit is 100). */
  async transactInBatches(writes: readonly TransactWrite[], batchSize = MAX_TRANSACTION_ITEMS): Promise<void> {
    for (let i = 0; i < writes.length; i += batchSize) await this.transact(writes.slice(i, i + batchSize));
  }

  /**
   * One conditional update outside a transaction, answering the attributes it wrote, or the item as
   * it was when the condition failed (unmarshalled; undefined when there was none). A conflict with a
   * transaction holding the item is a `TransactionConflictError`: nothing was written, retry.
   */
  async updateItem(
    key: ItemKey,
    changes: Changes,
    options: { readonly when?: Condition; readonly abortSignal?: AbortSignal } = {},
  ): Promise<{ readonly updated: Record<string, unknown> } | { readonly conditionFailed: true; readonly stored: unknown }> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          ...updateExpression(changes, options.when),
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        options.abortSignal ? { abortSignal: options.abortSignal } : {},
      );
      return { updated: out.Attributes ?? {} };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { conditionFailed: true, stored: error.Item ? unmarshall(error.Item) : undefined };
      if (error instanceof TransactionConflictException) throw new TransactionConflictError('The item is held by a transaction; retry.', error);
      throw error;
    }
  }

  /**
   * Writes all items or none. When an item's own condition fails, its `onConditionFailed` error is
   * thrown (or `TransactionConditionFailed` with its index); throttling and conflicts with another
   * transaction surface as a 503 the client may retry.
   */
  async transact(writes: readonly TransactWrite[]): Promise<void> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: writes.map((w) => withTableName(w.item, this.name)),
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failed >= 0) throw writes[failed]?.onConditionFailed?.() ?? new TransactionConditionFailed(failed);
        if (reasons.some((r) => r.Code === 'TransactionConflict')) throw new TransactionConflictError('The change conflicted with another; retry.', error);
        throw new ServiceUnavailableError('The change conflicted with another; retry.', error);
      }
      throw error;
    }
  }
}

function isExpired(item: Record<string, unknown>): boolean {
  const expiresAt = item[TableDefinition.ttlAttribute];
  return typeof expiresAt === 'number' && expiresAt * 1000 <= Date.now();
}
