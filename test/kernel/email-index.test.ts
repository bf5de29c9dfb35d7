import { createHash, createHmac, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { AuditTrail } from '../../functions/kernel/audit/audit-trail';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { EMAIL_INDEX_BOOTSTRAP_ACTOR, EmailIndex, emailIndexContext } from '../../functions/kernel/accounts/email-index';
import { SealedValueError } from '../../functions/kernel/keys/aead';
import { KeyUnwrapError } from '../../functions/kernel/keys/key-provider';
import { KeyPurposes } from '../../functions/kernel/keys/purposes';
import { Keys, keyPart } from '../../functions/kernel/storage/keys';
import { Table } from '../../functions/kernel/storage/table';
import { CountingKeyProvider } from '../../local/counting-key-provider';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { testPlatform } from '../support/platform';
import { rawPlatformAuditRecords } from '../support/signing-keys';

/**
 * The email index key lives in one global item (`PLATFORM#email-index` / `KEY`): tests of its
 * creation work on tables of their own, so the shared table's key (which every other file uses)
 * is never replaced or raced.
 */
async function isolatedTable(): Promise<Table> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `rampart-email-index-${randomBytes(6).toString('hex')}`;
  await ensureTable(endpoint, tableName);
  return new Table({ tableName, clientConfig: { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } });
}

/** A PII key as a separate provider object per instance (as each Lambda instance builds its own). */
const piiKeyFrom = (bytes: Buffer) => new CountingKeyProvider(LocalKeyProvider.fromKey(bytes));

const storedKeyItems = async (table: Table) =>
  (
    await table.doc.send(
      new QueryCommand({ TableName: table.name, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': Keys.emailIndexKey().pk }, ConsistentRead: true }),
    )
  ).Items ?? [];

const storedKey = async (table: Table) => (await table.doc.send(new GetCommand({ TableName: table.name, Key: Keys.emailIndexKey(), ConsistentRead: true }))).Item!;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('EmailIndex', () => {
  describe('lookupHash', () => {
    it('is an HMAC under the stored key, not the SHA-256 of the address, and another key gives another hash', async () => {
      const table = await isolatedTable();
      const piiKeys = piiKeyFrom(randomBytes(32));
      const email = 'ada.lovelace@example.com';
      const hash = await new EmailIndex(table, piiKeys).lookupHash(email);

      expect(hash).not.toBe(sha256(email));
      // The stored item holds the key only wrapped: unwrapping it takes the PII key, for this purpose.
      const item = await storedKey(table);
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'pk', 'rootKeyId', 'sk', 'wrapped']);
      const wrapped = Buffer.from(String(item.wrapped), 'base64');
      const key = await piiKeys.decryptDataKey(wrapped, emailIndexContext);
      expect(hash).toBe(createHmac('sha256', key).update(email).digest('hex'));
      await expect(piiKeys.decryptDataKey(wrapped, { purpose: KeyPurposes.userPii })).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(LocalKeyProvider.ephemeral().decryptDataKey(wrapped, emailIndexContext)).rejects.toBeInstanceOf(KeyUnwrapError);

      // Another deployment (another key) hashes the same address to something unrelated.
      expect(await new EmailIndex(await isolatedTable(), piiKeyFrom(randomBytes(32))).lookupHash(email)).not.toBe(hash);
    });

    it('ignores case, tells addresses apart, and stays a valid key part of 64 hex digits', async () => {
      const index = testPlatform().emailIndex;
      const hash = await index.lookupHash('Ada.Lovelace@Example.COM');
      expect(await index.lookupHash('ada.lovelace@example.com')).toBe(hash);
      expect(await index.lookupHash('ada.lovelace@example.org')).not.toBe(hash);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(keyPart(hash)).toBe(hash);
    });

    it('hashes an address the same on two platform instances that share the table and the PII key', async () => {
      const email = `same.${randomBytes(4).toString('hex')}@example.com`;
      const [a, b] = [testPlatform(), testPlatform()];
      expect(a.emailIndex).not.toBe(b.emailIndex);
      expect(await a.emailIndex.lookupHash(email)).toBe(await b.emailIndex.lookupHash(email));

      const table = await isolatedTable();
      const bytes = randomBytes(32);
      const first = await new EmailIndex(table, piiKeyFrom(bytes)).lookupHash(email);
      expect(await new EmailIndex(table, piiKeyFrom(bytes)).lookupHash(email)).toBe(first);
    });
  });

  describe('the key', () => {
    it('ends with exactly one stored key when ten instances use the index for the first time at once', async () => {
      const table = await isolatedTable();
      const bytes = randomBytes(32);
      const providers = Array.from({ length: 10 }, () => piiKeyFrom(bytes));
      const hashes = await Promise.all(providers.map((p) => new EmailIndex(table, p).lookupHash('race@example.com')));

      expect(new Set(hashes).size).toBe(1);
      expect(await storedKeyItems(table)).toHaveLength(1);
      // The winner's key is the one everybody uses: the losers' keys were dropped.
      const key = await providers[0]!.decryptDataKey(Buffer.from(String((await storedKey(table)).wrapped), 'base64'), emailIndexContext);
      expect(hashes[0]).toBe(createHmac('sha256', key).update('race@example.com').digest('hex'));
    });

    it('records the key’s creation once in the platform chain, in the transaction that stores it, however many instances race', async () => {
      const table = await isolatedTable();
      const bytes = randomBytes(32);
      const audit = new AuditTrail({ table });
      await Promise.all(Array.from({ length: 5 }, () => new EmailIndex(table, piiKeyFrom(bytes), { audit }).lookupHash('race@example.com')));

      const records = await rawPlatformAuditRecords(table);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ actor: EMAIL_INDEX_BOOTSTRAP_ACTOR, action: 'platform.email_index_key_created', target: { type: 'key', id: 'email-index' } });
      expect(JSON.stringify(records[0])).not.toContain(String((await storedKey(table)).wrapped));
      expect(await verifyAuditChain(table, 'platform')).toMatchObject({ ok: true, checked: 1 });
    });

    it('makes one key and no Decrypt when one instance is asked for many hashes at once', async () => {
      const piiKeys = piiKeyFrom(randomBytes(32));
      const index = new EmailIndex(await isolatedTable(), piiKeys);
      await Promise.all(Array.from({ length: 10 }, (_, i) => index.lookupHash(`n${i}@example.com`)));
      expect(piiKeys.generateDataKeyCalls).toBe(1);
      expect(piiKeys.decryptDataKeyCalls).toBe(0);
    });

    it('unwraps the stored key once per instance, and again only after the cache TTL', async () => {
      const table = await isolatedTable();
      const bytes = randomBytes(32);
      await new EmailIndex(table, piiKeyFrom(bytes)).lookupHash('seed@example.com');

      let now = 1_750_000_000_000;
      const piiKeys = piiKeyFrom(bytes);
      const index = new EmailIndex(table, piiKeys, { ttlMs: 60 * 60_000, now: () => now });
      for (let i = 0; i < 50; i++) await index.lookupHash(`steady${i}@example.com`);
      expect(piiKeys.decryptDataKeyCalls).toBe(1);
      now += 59 * 60_000;
      await index.lookupHash('steady@example.com');
      expect(piiKeys.decryptDataKeyCalls).toBe(1);
      now += 2 * 60_000;
      await index.lookupHash('steady@example.com');
      expect(piiKeys.decryptDataKeyCalls).toBe(2);
      expect(piiKeys.generateDataKeyCalls).toBe(0);
    });

    it('refuses a key wrapped under another PII key, without asking KMS and without replacing it', async () => {
      const table = await isolatedTable();
      await new EmailIndex(table, piiKeyFrom(randomBytes(32))).lookupHash('first@example.com');
      const before = await storedKey(table);

      const other = piiKeyFrom(randomBytes(32));
      await expect(new EmailIndex(table, other).lookupHash('first@example.com')).rejects.toBeInstanceOf(SealedValueError);
      expect(other.decryptDataKeyCalls).toBe(0);
      expect(other.generateDataKeyCalls).toBe(0);
      expect(await storedKey(table)).toEqual(before);
    });

    it('refuses a stored key whose root key id was rewritten to ours: the PII key cannot unwrap it', async () => {
      const table = await isolatedTable();
      await new EmailIndex(table, piiKeyFrom(randomBytes(32))).lookupHash('first@example.com');
      const other = piiKeyFrom(randomBytes(32));
      await table.doc.send(new PutCommand({ TableName: table.name, Item: { ...(await storedKey(table)), rootKeyId: other.rootKeyId } }));
      await expect(new EmailIndex(table, other).lookupHash('first@example.com')).rejects.toBeInstanceOf(KeyUnwrapError);
    });

    it('does not keep a failure: once the right key is there, the same instance hashes again', async () => {
      const table = await isolatedTable();
      const foreign = piiKeyFrom(randomBytes(32));
      await new EmailIndex(table, foreign).lookupHash('x@example.com');
      const foreignItem = await storedKey(table);
      const bytes = randomBytes(32);
      const index = new EmailIndex(table, piiKeyFrom(bytes));
      await expect(index.lookupHash('x@example.com')).rejects.toBeInstanceOf(SealedValueError);

      // The operator restores this deployment's own key item.
      const own = await isolatedTable();
      await new EmailIndex(own, piiKeyFrom(bytes)).lookupHash('x@example.com');
      await table.doc.send(new PutCommand({ TableName: table.name, Item: await storedKey(own) }));
      expect(await index.lookupHash('x@example.com')).toBe(await new EmailIndex(own, piiKeyFrom(bytes)).lookupHash('x@example.com'));
      expect(foreignItem.wrapped).not.toBe((await storedKey(table)).wrapped);
    });
  });
});
