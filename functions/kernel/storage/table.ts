import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { ConflictError, PreconditionFailedError, ServiceUnavailableError } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';
import { TableDefinition, type IndexName } from './table-definition';

export type ItemKey = { pk: string; sk: string };
export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A write inside a transaction, with the domain error to raise if its own condition fails. */
export interface TransactWrite {
  readonly item: TransactWriteItem;
  readonly onConditionFailed?: () => Error;
}

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

/** Named condition fragments: conditional writes are built from these, never typed inline. */
export const Conditions = {
  notExists: { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey } },
  exists: { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey } },
  /**
   * For releasing a claim (a uniqueness item that names its holder): only its holder may delete it,
   * and an absent claim (data from before claims existed) is no obstacle.
   */
  absentOrHeldBy: (holderAttribute: string, holder: string) => ({
    ConditionExpression: 'attribute_not_exists(#pk) OR #holder = :holder',
    ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey, '#holder': holderAttribute },
    ExpressionAttributeValues: { ':holder': holder },
  }),
  versionIs: (version: number) => ({
    ConditionExpression: '#version = :expectedVersion',
    ExpressionAttributeNames: { '#version': TableDefinition.versionAttribute },
    ExpressionAttributeValues: { ':expectedVersion': version },
  }),
} as const;

type Condition = { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> };

/** Transaction writes, built without the table name (`Table.transact` adds it). */
export const Writes = {
  put: (item: ItemKey & Record<string, unknown>, condition?: Condition, onConditionFailed?: () => Error): TransactWrite => ({
    item: { Put: { TableName: '', Item: item, ...condition } },
    ...(onConditionFailed ? { onConditionFailed } : {}),
  }),
  /** A put under optimistic locking: stored version must be `expectedVersion` (0 = absent); writes +1. */
  putVersioned: (item: ItemKey & Record<string, unknown>, expectedVersion: number, onConditionFailed?: () => Error): TransactWrite => ({
    item: {
      Put: {
        TableName: '',
        Item: { ...item, [TableDefinition.versionAttribute]: expectedVersion + 1 },
        ...(expectedVersion === 0 ? Conditions.notExists : Conditions.versionIs(expectedVersion)),
      },
    },
    onConditionFailed: onConditionFailed ?? (() => (expectedVersion === 0 ? new ConflictError('The resource already exists.') : new PreconditionFailedError())),
  }),
  delete: (key: ItemKey, condition?: Condition, onConditionFailed?: () => Error): TransactWrite => ({
    item: { Delete: { TableName: '', Key: key, ...condition } },
    ...(onConditionFailed ? { onConditionFailed } : {}),
  }),
} as const;

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

const KEY_AND_INDEX_ATTRIBUTES = new Set<string>([
  TableDefinition.partitionKey,
  TableDefinition.sortKey,
  ...Object.values(TableDefinition.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
]);

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
    options: { condition?: { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }; onConditionFailed?: () => Error } = {},
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
        new DeleteCommand({
          TableName: this.name,
          Key: key,
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)',
          ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey, '#ttl': TableDefinition.ttlAttribute },
          ExpressionAttributeValues: { ':now': nowSeconds },
          ReturnValues: 'ALL_OLD',
        }),
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
    const startKey = decodeCursor(options.cursor, {
      keyAttributes: options.index
        ? [keys.partitionKey, keys.sortKey, TableDefinition.partitionKey, TableDefinition.sortKey]
        : [keys.partitionKey, keys.sortKey],
      partitionAttribute: keys.partitionKey,
      partition: options.partition,
      sortAttribute: keys.sortKey,
      ...(options.sortKeyPrefix !== undefined ? { sortKeyPrefix: options.sortKeyPrefix } : {}),
      ...(options.sortKeyPrefix === undefined && options.sortKeyBetween ? { sortKeyBetween: options.sortKeyBetween } : {}),
    });
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

function withTableName(item: TransactWriteItem, tableName: string): TransactWriteItem {
  if (item.Put) return { Put: { ...item.Put, TableName: tableName } };
  if (item.Update) return { Update: { ...item.Update, TableName: tableName } };
  if (item.Delete) return { Delete: { ...item.Delete, TableName: tableName } };
  if (item.ConditionCheck) return { ConditionCheck: { ...item.ConditionCheck, TableName: tableName } };
  return item;
}

function isExpired(item: Record<string, unknown>): boolean {
  const expiresAt = item[TableDefinition.ttlAttribute];
  return typeof expiresAt === 'number' && expiresAt * 1000 <= Date.now();
}
