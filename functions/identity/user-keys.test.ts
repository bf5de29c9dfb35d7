import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { CountingKeyProvider } from '../../local/counting-key-provider';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { testPlatform } from '../../test/support/platform';
import { SealedValueError } from '../kernel/keys/aead';
import { KeyUnwrapError } from '../kernel/keys/key-provider';
import { Ids } from '../kernel/ids';
import { Keys } from '../kernel/storage/keys';
import { createUserKey, UserDataUnavailableError, UserKey, UserKeyRing, userKeyContext } from './user-keys';

const { table } = testPlatform();

/** A user data key stored as signup stores it, under `piiKeys`. */
async function storedUserKey(piiKeys: LocalKeyProvider | CountingKeyProvider, userId = Ids.user.generate()) {
  const created = await createUserKey(piiKeys, userId, new Date());
  await table.transact([created.write]);
  return { userId, key: created.key };
}

const rawItem = async (key: { pk: string; sk: string }) => (await table.doc.send(new GetCommand({ TableName: table.name, Key: key }))).Item;

describe('UserKey', () => {
  describe('seal / open', () => {
    const key = new UserKey('u_1', Buffer.alloc(32, 7));

    it('opens what it sealed for the same user, field and session', () => {
      expect(key.open('email', key.seal('email', 'ada@example.com'))).toBe('ada@example.com');
      expect(key.open('session-ip', key.seal('session-ip', '192.0.2.1', { session: 's_1' }), { session: 's_1' })).toBe('192.0.2.1');
    });

    it('refuses a value moved to another field, another session or another user', () => {
      const email = key.seal('email', 'ada@example.com');
      expect(() => key.open('name', email)).toThrow(SealedValueError);
      const ip = key.seal('session-ip', '192.0.2.1', { session: 's_1' });
      expect(() => key.open('session-ip', ip, { session: 's_2' })).toThrow(SealedValueError);
      // Same key material, another user: the key reference and the record identity both differ.
      expect(() => new UserKey('u_2', Buffer.alloc(32, 7)).open('email', email)).toThrow(SealedValueError);
    });

    it('refuses a value under another key', () => {
      const email = key.seal('email', 'ada@example.com');
      expect(() => new UserKey('u_1', Buffer.alloc(32, 8)).open('email', email)).toThrow(SealedValueError);
    });
  });
});

describe('createUserKey', () => {
  it('stores only the wrapped key, bound by its context to the user', async () => {
    const piiKeys = LocalKeyProvider.ephemeral();
    const { userId, key } = await storedUserKey(piiKeys);
    const item = await rawItem(Keys.userDataKey(userId));
    expect(Object.keys(item!).sort()).toEqual(['createdAt', 'pk', 'rootKeyId', 'sk', 'userId', 'wrapped']);
    expect(item!.rootKeyId).toBe(piiKeys.rootKeyId);
    const unwrapped = await piiKeys.decryptDataKey(Buffer.from(item!.wrapped, 'base64'), userKeyContext(userId));
    expect(new UserKey(userId, unwrapped).open('name', key.seal('name', 'Ada'))).toBe('Ada');
    await expect(piiKeys.decryptDataKey(Buffer.from(item!.wrapped, 'base64'), userKeyContext(Ids.user.generate()))).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('refuses a second data key for the same user', async () => {
    const piiKeys = LocalKeyProvider.ephemeral();
    const { userId } = await storedUserKey(piiKeys);
    const again = await createUserKey(piiKeys, userId, new Date());
    await expect(table.transact([again.write])).rejects.toMatchObject({ statusCode: 409 });
  });
});

describe('UserKeyRing', () => {
  describe('open', () => {
    it('unwraps a user key once per TTL however often it is opened', async () => {
      let now = 0;
      const piiKeys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
      const ring = new UserKeyRing(table, piiKeys, { ttlMs: 1000, now: () => now });
      const { userId, key } = await storedUserKey(piiKeys);
      const sealed = key.seal('email', 'ada@example.com');
      for (let i = 0; i < 20; i++) expect((await ring.open(userId)).open('email', sealed)).toBe('ada@example.com');
      expect(piiKeys.decryptDataKeyCalls).toBe(1);
      now = 1001;
      await ring.open(userId);
      expect(piiKeys.decryptDataKeyCalls).toBe(2);
    });

    it('holds at most maxEntries keys, dropping the least recently used', async () => {
      const piiKeys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
      const ring = new UserKeyRing(table, piiKeys, { maxEntries: 2 });
      const [a, b, c] = await Promise.all([storedUserKey(piiKeys), storedUserKey(piiKeys), storedUserKey(piiKeys)]);
      await ring.open(a.userId);
      await ring.open(b.userId);
      await ring.open(a.userId); // a is now the most recent
      await ring.open(c.userId); // evicts b
      expect(ring.size).toBe(2);
      const before = piiKeys.decryptDataKeyCalls;
      await ring.open(a.userId);
      expect(piiKeys.decryptDataKeyCalls).toBe(before);
      await ring.open(b.userId);
      expect(piiKeys.decryptDataKeyCalls).toBe(before + 1);
    });

    it('stops opening a user key as soon as its item is deleted, even while it is cached', async () => {
      const piiKeys = LocalKeyProvider.ephemeral();
      const ring = new UserKeyRing(table, piiKeys);
      const { userId } = await storedUserKey(piiKeys);
      await ring.open(userId);
      await table.transact([{ item: { Delete: { TableName: '', Key: Keys.userDataKey(userId) } } }]);
      await expect(ring.open(userId)).rejects.toBeInstanceOf(UserDataUnavailableError);
    });

    it('refuses a wrapped key copied to another user (its context names the first)', async () => {
      const piiKeys = LocalKeyProvider.ephemeral();
      const ring = new UserKeyRing(table, piiKeys);
      const { userId } = await storedUserKey(piiKeys);
      const other = Ids.user.generate();
      const item = await rawItem(Keys.userDataKey(userId));
      await table.doc.send(new PutCommand({ TableName: table.name, Item: { ...item, ...Keys.userDataKey(other), userId: other } }));
      await expect(ring.open(other)).rejects.toBeInstanceOf(KeyUnwrapError);
    });

    it('refuses a key wrapped under another PII key', async () => {
      const { userId } = await storedUserKey(LocalKeyProvider.ephemeral());
      await expect(new UserKeyRing(table, LocalKeyProvider.ephemeral()).open(userId)).rejects.toBeInstanceOf(SealedValueError);
    });
  });

  describe('forget', () => {
    it('drops and zeroes what the instance holds of the user key', async () => {
      const piiKeys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
      const ring = new UserKeyRing(table, piiKeys);
      const { userId, key } = await storedUserKey(piiKeys);
      const held = await ring.open(userId);
      const sealed = key.seal('name', 'Ada');
      ring.forget(userId);
      await new Promise((r) => setImmediate(r));
      expect(ring.size).toBe(0);
      expect(() => held.open('name', sealed)).toThrow(SealedValueError);
      expect((await ring.open(userId)).open('name', sealed)).toBe('Ada');
      expect(piiKeys.decryptDataKeyCalls).toBe(2);
    });
  });
});
