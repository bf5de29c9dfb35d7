import { randomBytes } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { SigningKeyStore } from '../../functions/kernel/auth/signing-keys';
import { Keys } from '../../functions/kernel/storage/keys';
import { Table } from '../../functions/kernel/storage/table';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local';
import { LocalKeyProvider } from '../../local/local-key-provider';

export interface IsolatedSigningKeys {
  readonly table: Table;
  readonly keys: LocalKeyProvider;
  readonly store: SigningKeyStore;
}

/**
 * A SigningKeyStore over a table of its own, with its own in-memory root key. Signing keys live in
 * one global partition, so a test that creates or rotates keys in the shared table would change
 * what every other file running in parallel signs with (and seal it under a root key they lack).
 */
export async function isolatedSigningKeys(options: { now?: () => Date } = {}): Promise<IsolatedSigningKeys> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `rampart-signing-keys-${randomBytes(6).toString('hex')}`;
  await ensureTable(endpoint, tableName);
  const table = new Table({ tableName, clientConfig: { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } });
  const keys = LocalKeyProvider.ephemeral();
  return { table, keys, store: new SigningKeyStore(table, keys, options.now) };
}

/** Every item of the signing-keys partition exactly as stored: keys, expired items and all. */
export async function rawSigningKeyItems(table: Table): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': Keys.signingKeysPartition() },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** The platform scope's audit records in `table` (an isolated one), oldest first, as stored. */
export async function rawPlatformAuditRecords(table: Table): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': Keys.auditPartition('platform') },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** A clock the test moves by hand, shared by the store (Date) and the token service (epoch ms). */
export function manualClock(startMs = Date.now()) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    date: () => new Date(nowMs),
    set: (ms: number) => void (nowMs = ms),
    advanceSeconds: (seconds: number) => void (nowMs += seconds * 1000),
  };
}
