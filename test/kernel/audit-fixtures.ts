import { createHash } from 'node:crypto';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { canonicalJson } from '../../functions/kernel/canonical-json';
import { Keys } from '../../functions/kernel/storage/keys';
import type { Table } from '../../functions/kernel/storage/table';
import { uniqueId } from '../support/platform';

/**
 * Raw access to audit items with the document client, below the Table port: this is what an
 * attacker holding table write access (or a buggy writer) sees, and how the tests tamper.
 */

export type RawItem = Record<string, any>;

export const GENESIS = '0'.repeat(64);

export const orgScope = () => `org:${uniqueId('o')}`;

export const recordKey = (scope: string, seq: number) => Keys.auditRecord(scope, seq);
export const headKey = (scope: string) => Keys.auditHead(scope);

/**
 * SHA-256 over the canonical encoding of the record's fields, recomputed here independently of
 * `hashAuditRecord` so that a change to what the trail hashes is caught rather than mirrored.
 */
export function expectedHash(record: RawItem): string {
  const { scope, seq, at, actor, action, target, outcome, metadata, prevHash } = record;
  return createHash('sha256')
    .update(canonicalJson({ scope, seq, at, actor, action, target, outcome, metadata, prevHash }), 'utf8')
    .digest('hex');
}

export async function getRaw(table: Table, key: { pk: string; sk: string }): Promise<RawItem | undefined> {
  const out = await table.doc.send(new GetCommand({ TableName: inject('tableName'), Key: key, ConsistentRead: true }));
  return out.Item;
}

export async function putRaw(table: Table, item: RawItem): Promise<void> {
  await table.doc.send(new PutCommand({ TableName: inject('tableName'), Item: item }));
}

export async function deleteRaw(table: Table, key: { pk: string; sk: string }): Promise<void> {
  await table.doc.send(new DeleteCommand({ TableName: inject('tableName'), Key: key }));
}

/** Every stored item of a scope's chain, in key order, as stored (keys included). */
export async function rawChain(table: Table, scope: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.doc.send(
      new QueryCommand({
        TableName: inject('tableName'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': Keys.auditPartition(scope) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Re-hashes `record` after an edit, as an attacker who knows the scheme would. */
export function rehash(record: RawItem): RawItem {
  return { ...record, hash: expectedHash(record) };
}

/**
 * Writes a correctly hashed chain of `count` records straight into the table (25 per batch), in
 * the stored shape the trail writes, plus its head: far faster than `count` commits, for tests
 * that need a long chain.
 */
export async function seedChain(table: Table, scope: string, count: number): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let prevHash = GENESIS;
  for (let seq = 1; seq <= count; seq++) {
    const key = recordKey(scope, seq);
    const record = rehash({
      scope,
      seq,
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      actor: { type: 'user', id: `u${seq % 7}` },
      action: 'user.login_failed',
      outcome: 'failure',
      metadata: { reason: 'invalid_credentials' },
      prevHash,
    });
    prevHash = record.hash;
    items.push({ ...key, gsi1pk: Keys.auditByAction(scope, record.action), gsi1sk: key.sk, ...record });
  }
  const last = items.at(-1);
  const writes: RawItem[] = [...items];
  if (last) writes.push({ ...headKey(scope), scope, seq: last.seq, hash: last.hash, updatedAt: last.at });
  const batches: RawItem[][] = [];
  for (let i = 0; i < writes.length; i += 25) batches.push(writes.slice(i, i + 25));
  await Promise.all(batches.map((batch) => writeBatch(table, batch)));
  return items;
}

async function writeBatch(table: Table, batch: RawItem[]): Promise<void> {
  let requests = batch.map((Item) => ({ PutRequest: { Item } }));
  const deadline = Date.now() + 10_000;
  while (requests.length > 0) {
    const out = await table.doc.send(new BatchWriteCommand({ RequestItems: { [inject('tableName')]: requests } }));
    requests = (out.UnprocessedItems?.[inject('tableName')] ?? []) as typeof requests;
    if (requests.length > 0 && Date.now() > deadline) throw new Error('seedChain: batch write did not finish within 10 s');
  }
}
