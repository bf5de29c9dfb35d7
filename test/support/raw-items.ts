import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { TestApi } from './platform';

/**
 * Raw table access for tests that look at what is stored (at rest), bypassing every schema: what
 * an attacker holding a copy of the table, a backup or an export would see.
 */
export type RawItem = Record<string, unknown> & { pk: string; sk: string };

export async function rawItem(api: TestApi, key: { pk: string; sk: string }): Promise<RawItem | undefined> {
  return (await api.platform.table.doc.send(new GetCommand({ TableName: inject('tableName'), Key: key }))).Item as RawItem | undefined;
}

/** Every item of a partition, whatever its sort key. */
export async function rawPartition(api: TestApi, pk: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await api.platform.table.doc.send(
      new QueryCommand({ TableName: inject('tableName'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: cursor }),
    );
    items.push(...((page.Items ?? []) as RawItem[]));
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  return items;
}

/** Writes items back exactly as they were (e.g. restoring a copy taken before a deletion). */
export async function putRawItems(api: TestApi, items: readonly RawItem[]): Promise<void> {
  for (const Item of items) await api.platform.table.doc.send(new PutCommand({ TableName: inject('tableName'), Item }));
}
