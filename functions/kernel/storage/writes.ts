import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError, PreconditionFailedError } from '../errors';
import { Conditions, updateExpression, type Changes, type Condition } from './conditions';
import type { ItemKey } from './keys';
import { TableDefinition } from './table-definition';

export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A write inside a transaction, with the domain error to raise if its own condition fails. */
export interface TransactWrite {
  readonly item: TransactWriteItem;
  readonly onConditionFailed?: () => Error;
}

/** What a write may be conditioned on, and the error it raises when the condition fails. */
export interface WriteOptions {
  readonly when?: Condition;
  readonly onConditionFailed?: () => Error;
}

const failure = (onConditionFailed?: () => Error) => (onConditionFailed ? { onConditionFailed } : {});

/**
 * Transaction writes, built without the table name (`Table.transact` adds it). Domain code builds
 * them through an entity (`Projects.at(scope, id).put(…)`); the raw forms are for the storage layer.
 */
export const Writes = {
  put: (item: ItemKey & Record<string, unknown>, condition?: Condition, onConditionFailed?: () => Error): TransactWrite => ({
    item: { Put: { TableName: '', Item: item, ...condition } },
    ...failure(onConditionFailed),
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
  update: (key: ItemKey, changes: Changes, condition?: Condition, onConditionFailed?: () => Error): TransactWrite => ({
    item: { Update: { TableName: '', Key: key, ...updateExpression(changes, condition) } },
    ...failure(onConditionFailed),
  }),
  delete: (key: ItemKey, condition?: Condition, onConditionFailed?: () => Error): TransactWrite => ({
    item: { Delete: { TableName: '', Key: key, ...condition } },
    ...failure(onConditionFailed),
  }),
  /** A condition on an item the transaction does not change: it holds at commit time, or nothing is written. */
  check: (key: ItemKey, condition: Condition, onConditionFailed: () => Error): TransactWrite => ({
    item: { ConditionCheck: { TableName: '', Key: key, ...condition } },
    onConditionFailed,
  }),
} as const;

/** The key a write touches. */
export function keyOfWrite({ item }: TransactWrite): ItemKey | undefined {
  return (item.Put?.Item ?? item.Update?.Key ?? item.Delete?.Key ?? item.ConditionCheck?.Key) as ItemKey | undefined;
}

export function withTableName(item: TransactWriteItem, tableName: string): TransactWriteItem {
  if (item.Put) return { Put: { ...item.Put, TableName: tableName } };
  if (item.Update) return { Update: { ...item.Update, TableName: tableName } };
  if (item.Delete) return { Delete: { ...item.Delete, TableName: tableName } };
  if (item.ConditionCheck) return { ConditionCheck: { ...item.ConditionCheck, TableName: tableName } };
  return item;
}
