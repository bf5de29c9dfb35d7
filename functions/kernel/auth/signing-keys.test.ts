import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { isolatedSigningKeys, manualClock, rawPlatformAuditRecords, rawSigningKeyItems } from '../../../test/support/signing-keys';
import { LocalKeyProvider } from '../../../local/local-key-provider';
import { AuditTrail } from '../audit/audit-trail';
import { verifyAuditChain } from '../audit/verifier';
import { ServiceUnavailableError } from '../errors';
import { SealedValueError } from '../keys/aead';
import { openEnvelope } from '../keys/envelope';
import { KeyUnwrapError } from '../keys/key-provider';
import { Table, type ItemKey } from '../storage/table';
import { BOOTSTRAP_ACTOR, RETIRED_KEY_GRACE_SECONDS, SigningKeyStore, type SigningKey } from './signing-keys';

// Every test here works on a table of its own: signing keys live in one global partition.

/** Whether `key` produces signatures that the published public key for its kid accepts. */
async function signsForPublishedKey(store: SigningKeyStore, key: SigningKey): Promise<boolean> {
  const published = (await store.publicKeys()).find((k) => k.kid === key.kid);
  if (!published) return false;
  const token = await new SignJWT({ probe: true }).setProtectedHeader({ alg: 'EdDSA' }).sign(key.privateKey);
  return jwtVerify(token, published.key, { algorithms: ['EdDSA'] }).then(
    () => true,
    () => false,
  );
}

const itemKey = (item: Record<string, unknown>): ItemKey => ({ pk: item.pk as string, sk: item.sk as string });
const keyItems = (items: Record<string, unknown>[]) => items.filter((i) => String(i.sk).startsWith('KEY#'));

/**
 * The private JWK of `kid`, opened the way the store opens it. The binding (identity and KMS
 * context) mirrors signing-keys.ts on purpose: if it changes, this test must be revisited.
 */
async function openStoredPrivateJwk(table: Table, keys: LocalKeyProvider, kid: string): Promise<JWK> {
  const item = keyItems(await rawSigningKeyItems(table)).find((i) => i.kid === kid);
  expect(item).toBeDefined();
  const plaintext = await openEnvelope(
    keys,
    item!.sealedPrivateKey as { sealed: string; wrappedKey: string; rootKeyId: string },
    { kind: 'access-token-signing-key', kid },
    { purpose: 'access-token-signing-key', kid },
  );
  return JSON.parse(plaintext.toString('utf8')) as JWK;
}

describe('SigningKeyStore', () => {
  describe('activeKey', () => {
    it('creates a key on first use and keeps signing with that key', async () => {
      const { store, table } = await isolatedSigningKeys();
      expect(await store.publicKeys()).toEqual([]);

      const first = await store.activeKey();
      const second = await store.activeKey();

      expect(second.kid).toBe(first.kid);
      expect(first.kid).toMatch(/^k_[A-Za-z0-9_-]{16}$/);
      expect(await signsForPublishedKey(store, first)).toBe(true);
      const items = await rawSigningKeyItems(table);
      expect(items.find((i) => i.sk === 'ACTIVE')).toMatchObject({ kid: first.kid, version: 1 });
      expect(keyItems(items)).toHaveLength(1);
    });

    it('ends with exactly one key when ten callers race on an empty store, all signing with it', async () => {
      const { store, table } = await isolatedSigningKeys();

      const keys = await Promise.all(Array.from({ length: 10 }, () => store.activeKey()));

      const kids = new Set(keys.map((k) => k.kid));
      expect(kids.size).toBe(1);
      const items = await rawSigningKeyItems(table);
      expect(items).toHaveLength(2);
      expect(items.find((i) => i.sk === 'ACTIVE')).toMatchObject({ kid: keys[0]!.kid, version: 1 });
      expect(keyItems(items).map((i) => i.kid)).toEqual([keys[0]!.kid]);
      const published = await store.publicKeys();
      expect(published.map((k) => k.kid)).toEqual([keys[0]!.kid]);
      for (const key of keys) expect(await signsForPublishedKey(store, key)).toBe(true);
    });

    it('never stores the private key in plaintext: only the sealed envelope holds it', async () => {
      const { store, table, keys } = await isolatedSigningKeys();
      const active = await store.activeKey();
      await store.rotate();

      const items = await rawSigningKeyItems(table);
      for (const item of keyItems(items)) {
        const privateJwk = await openStoredPrivateJwk(table, keys, item.kid as string);
        // The opened key is the real one: it is the private half of the published public key.
        expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: (item.publicJwk as { x: string }).x });
        expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);

        const d = Buffer.from(privateJwk.d!, 'base64url');
        const stored = JSON.stringify(items);
        for (const encoding of [privateJwk.d!, d.toString('base64'), d.toString('hex'), d.toString('latin1')]) {
          expect(stored).not.toContain(encoding);
        }
        expect(item).not.toHaveProperty('d');
        expect(item.publicJwk).not.toHaveProperty('d');
      }
      // What the store hands out to sign with is the key sealed in the table, not another copy.
      const sealed = await importJWK(await openStoredPrivateJwk(table, keys, active.kid), 'EdDSA');
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).sign(sealed);
      const published = (await store.publicKeys()).find((k) => k.kid === active.kid)!;
      await expect(jwtVerify(token, published.key)).resolves.toBeDefined();
      expect(await signsForPublishedKey(store, active)).toBe(true);
    });

    it('cannot open the private key under another root key: a copy of the table cannot sign', async () => {
      const { store, table } = await isolatedSigningKeys();
      await store.activeKey();

      const thief = new SigningKeyStore(table, LocalKeyProvider.ephemeral());

      await expect(thief.activeKey()).rejects.toBeInstanceOf(SealedValueError);
    });

    it('refuses a sealed private key moved under another kid (the envelope is bound to its kid)', async () => {
      const { store, table } = await isolatedSigningKeys();
      const oldKid = (await store.activeKey()).kid;
      const newKid = await store.rotate();
      const items = keyItems(await rawSigningKeyItems(table));
      const oldItem = items.find((i) => i.kid === oldKid)!;
      const newItem = items.find((i) => i.kid === newKid)!;

      // Someone with write access to the table swaps the old (retired) key in under the active kid.
      await table.put({ ...newItem, ...itemKey(newItem), sealedPrivateKey: oldItem.sealedPrivateKey });

      await expect(store.activeKey()).rejects.toBeInstanceOf(KeyUnwrapError);
    });
  });

  describe('publicKeys', () => {
    it('publishes only the public Ed25519 parameters, with alg, use and kid', async () => {
      const { store } = await isolatedSigningKeys();
      const { kid } = await store.activeKey();

      const [published, ...rest] = await store.publicKeys();

      expect(rest).toEqual([]);
      expect(published!.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), alg: 'EdDSA', use: 'sig', kid });
      expect(published!.key.type).toBe('public');
    });
  });

  describe('rotate', () => {
    it('makes a new key active and retires the old one for exactly the grace period', async () => {
      const clock = manualClock();
      const { store, table } = await isolatedSigningKeys({ now: clock.date });
      const oldKid = (await store.activeKey()).kid;
      clock.advanceSeconds(3600);

      const newKid = await store.rotate();

      expect(newKid).not.toBe(oldKid);
      expect((await store.activeKey()).kid).toBe(newKid);
      const items = await rawSigningKeyItems(table);
      expect(items.find((i) => i.sk === 'ACTIVE')).toMatchObject({ kid: newKid, version: 2 });
      expect(keyItems(items).find((i) => i.kid === oldKid)).toMatchObject({
        retiredAt: clock.date().toISOString(),
        expiresAt: Math.floor(clock.now() / 1000) + RETIRED_KEY_GRACE_SECONDS,
      });
      expect(keyItems(items).find((i) => i.kid === newKid)).not.toHaveProperty('retiredAt');
      expect(keyItems(items).find((i) => i.kid === newKid)).not.toHaveProperty('expiresAt');
    });

    it('keeps publishing the retired key during its grace period and drops it afterwards', async () => {
      const { store, table } = await isolatedSigningKeys();
      const oldKey = await store.activeKey();
      const newKid = await store.rotate();

      expect((await store.publicKeys()).map((k) => k.kid).sort()).toEqual([oldKey.kid, newKid].sort());
      expect(await signsForPublishedKey(store, oldKey)).toBe(true);

      // The grace period ends (DynamoDB's TTL may lag; the table hides expired items meanwhile).
      const retired = keyItems(await rawSigningKeyItems(table)).find((i) => i.kid === oldKey.kid)!;
      await table.put({ ...retired, ...itemKey(retired), expiresAt: Math.floor(Date.now() / 1000) - 1 });

      expect((await store.publicKeys()).map((k) => k.kid)).toEqual([newKid]);
      expect(await signsForPublishedKey(store, oldKey)).toBe(false);
    });

    it('loses no key when rotations race: every replaced key is retired, only the active one is not', async () => {
      const { store, table } = await isolatedSigningKeys();
      const oldKid = (await store.activeKey()).kid;

      const kids = await Promise.all(Array.from({ length: 5 }, () => store.rotate()));

      // Rotations that saw the same ACTIVE version collapse into one; later ones rotate again.
      const items = await rawSigningKeyItems(table);
      const active = items.find((i) => i.sk === 'ACTIVE')!;
      const stored = keyItems(items);
      expect(kids).toContain(active.kid);
      expect(active.version).toBe(stored.length);
      expect(stored.map((i) => i.kid)).toEqual(expect.arrayContaining([oldKid, ...kids]));
      for (const item of stored) {
        if (item.kid === active.kid) expect(item).not.toHaveProperty('expiresAt');
        else expect(item).toMatchObject({ retiredAt: expect.any(String), expiresAt: expect.any(Number) });
      }
    });

    it('never leaves a replaced key published without an expiry when a rotation is interrupted', async () => {
      const { store, table } = await isolatedSigningKeys();
      const oldKid = (await store.activeKey()).kid;
      // The storage fails every write after the rotation's first one (a throttle, a crash).
      const send = table.doc.send.bind(table.doc);
      let writes = 0;
      const spy = vi.spyOn(table.doc, 'send').mockImplementation(((command: object, ...rest: unknown[]) => {
        if (!(command instanceof GetCommand || command instanceof QueryCommand) && ++writes > 1) {
          return Promise.reject(new ServiceUnavailableError('injected write failure'));
        }
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof table.doc.send);

      await store.rotate().catch(() => undefined);
      spy.mockRestore();

      const stored = keyItems(await rawSigningKeyItems(table));
      const active = (await rawSigningKeyItems(table)).find((i) => i.sk === 'ACTIVE')!;
      const unretired = stored.filter((i) => i.expiresAt === undefined).map((i) => i.kid);
      expect(unretired).toEqual([active.kid]);
      // And a retry completes the rotation.
      const newKid = await store.rotate();
      expect((await store.publicKeys()).map((k) => k.kid).sort()).toEqual(
        [...new Set([oldKid, active.kid as string, newKid])].sort(),
      );
      expect(keyItems(await rawSigningKeyItems(table)).filter((i) => i.expiresAt === undefined).map((i) => i.kid)).toEqual([newKid]);
    });

    it('creates the first key when there is none yet', async () => {
      const { store } = await isolatedSigningKeys();

      const kid = await store.rotate();

      expect((await store.activeKey()).kid).toBe(kid);
      expect((await store.publicKeys()).map((k) => k.kid)).toEqual([kid]);
    });
  });

  describe('the first key, with an audit trail', () => {
    it('records platform.signing_key_created once, in the transaction that installs it, even when callers race', async () => {
      const { table, keys } = await isolatedSigningKeys();
      const trail = new AuditTrail({ table });
      const stores = Array.from({ length: 5 }, () => new SigningKeyStore(table, keys, undefined, { audit: trail }));

      const kids = await Promise.all(stores.map(async (s) => (await s.activeKey()).kid));

      expect(new Set(kids).size).toBe(1);
      const records = await rawPlatformAuditRecords(table);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ actor: BOOTSTRAP_ACTOR, action: 'platform.signing_key_created', target: { type: 'signing_key', id: kids[0] }, metadata: { kid: kids[0] } });
      expect(await verifyAuditChain(table, 'platform')).toMatchObject({ ok: true, checked: 1 });
      // Only the first key: using it again records nothing more.
      await stores[0]!.activeKey();
      expect(await rawPlatformAuditRecords(table)).toHaveLength(1);
    });
  });

  describe('rotate with an audit trail', () => {
    const actor = { type: 'system', id: 'signing-key-rotation' } as const;

    /** The kids of stored keys without an expiry: after any rotation, only the active key's. */
    const unretiredKids = async (table: Table) =>
      keyItems(await rawSigningKeyItems(table))
        .filter((i) => i.expiresAt === undefined)
        .map((i) => i.kid);

    it('records platform.signing_key_rotated with the new and the replaced kid, chained in the platform scope', async () => {
      const clock = manualClock();
      const { store, table } = await isolatedSigningKeys({ now: clock.date });
      const trail = new AuditTrail({ table, now: clock.date });
      const oldKid = (await store.activeKey()).kid;

      const newKid = await store.rotate({ audit: { trail, actor } });

      expect((await store.activeKey()).kid).toBe(newKid);
      const records = await rawPlatformAuditRecords(table);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        scope: 'platform',
        seq: 1,
        at: clock.date().toISOString(),
        actor,
        action: 'platform.signing_key_rotated',
        target: { type: 'signing_key', id: newKid },
        outcome: 'success',
        metadata: { kid: newKid, previousKid: oldKid },
      });
      expect(await verifyAuditChain(table, 'platform')).toMatchObject({ ok: true, checked: 1 });
    });

    it('records the first key without a previousKid when there was no key to replace', async () => {
      const { store, table } = await isolatedSigningKeys();

      const kid = await store.rotate({ audit: { trail: new AuditTrail({ table }), actor } });

      const [record, ...rest] = await rawPlatformAuditRecords(table);
      expect(rest).toEqual([]);
      expect(record!.metadata).toEqual({ kid });
    });

    it('records nothing secret: the record holds the kids, never the sealed or public key material', async () => {
      const { store, table } = await isolatedSigningKeys();
      await store.activeKey();

      await store.rotate({ audit: { trail: new AuditTrail({ table }), actor } });

      const [record] = await rawPlatformAuditRecords(table);
      const stored = JSON.stringify(record);
      for (const item of keyItems(await rawSigningKeyItems(table))) {
        const sealed = item.sealedPrivateKey as { sealed: string; wrappedKey: string };
        for (const material of [sealed.sealed, sealed.wrappedKey, (item.publicJwk as { x: string }).x]) expect(stored).not.toContain(material);
      }
    });

    it('keeps one record per installed key when audited rotations race, each naming the key it replaced', async () => {
      const { store, table } = await isolatedSigningKeys();
      const trail = new AuditTrail({ table });
      const oldKid = (await store.activeKey()).kid;

      const kids = await Promise.all(Array.from({ length: 5 }, () => store.rotate({ audit: { trail, actor } })));

      const records = await rawPlatformAuditRecords(table);
      const metadata = records.map((r) => r.metadata as { kid: string; previousKid: string });
      const installed = keyItems(await rawSigningKeyItems(table)).map((i) => i.kid);
      // Every key but the first was installed by exactly one recorded rotation, and no record names
      // a key that was not installed (a losing rotator's key never lands, nor does its record).
      expect(metadata.map((m) => m.kid).sort()).toEqual(installed.filter((kid) => kid !== oldKid).sort());
      // Read in chain order, the records replay the pointer's history from the old key to ACTIVE.
      expect(metadata.map((m) => m.previousKid)).toEqual([oldKid, ...metadata.slice(0, -1).map((m) => m.kid)]);
      expect(metadata.at(-1)!.kid).toBe((await store.activeKey()).kid);
      expect(kids).toContain(metadata.at(-1)!.kid);
      expect(await verifyAuditChain(table, 'platform')).toMatchObject({ ok: true, checked: records.length });
      expect(await unretiredKids(table)).toEqual([metadata.at(-1)!.kid]);
    });

    it.each([0, 1])('never installs a key without its record, nor records one not installed, when writes fail after %i', async (allowedWrites) => {
      const { store, table } = await isolatedSigningKeys();
      const oldKid = (await store.activeKey()).kid;
      const send = table.doc.send.bind(table.doc);
      let writes = 0;
      const spy = vi.spyOn(table.doc, 'send').mockImplementation(((command: object, ...rest: unknown[]) => {
        if (!(command instanceof GetCommand || command instanceof QueryCommand) && ++writes > allowedWrites) {
          return Promise.reject(new ServiceUnavailableError('injected write failure'));
        }
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof table.doc.send);

      const outcome = await store.rotate({ audit: { trail: new AuditTrail({ table }), actor } }).then(
        (kid) => ({ kid }),
        (error: unknown) => ({ error }),
      );
      spy.mockRestore();

      const recorded = (await rawPlatformAuditRecords(table)).map((r) => (r.metadata as { kid: string }).kid);
      const installed = keyItems(await rawSigningKeyItems(table))
        .map((i) => i.kid)
        .filter((kid) => kid !== oldKid);
      expect(recorded).toEqual(installed);
      // One transaction carries both: it either failed whole or went through whole.
      expect(recorded).toEqual('kid' in outcome ? [outcome.kid] : []);
      expect(await unretiredKids(table)).toEqual(['kid' in outcome ? outcome.kid : oldKid]);
    });

    it('writes the key, the pointer, the retirement and the audit record in a single transaction', async () => {
      const { store, table } = await isolatedSigningKeys();
      await store.activeKey();
      const spy = vi.spyOn(table.doc, 'send');

      await store.rotate({ audit: { trail: new AuditTrail({ table }), actor } });

      const writes = spy.mock.calls.map(([command]) => command).filter((c) => !(c instanceof GetCommand || c instanceof QueryCommand));
      spy.mockRestore();
      expect(writes).toHaveLength(1);
      expect(writes[0]).toBeInstanceOf(TransactWriteCommand);
      const keys = (writes[0] as TransactWriteCommand).input.TransactItems!.map((i) => `${i.Put!.Item!.pk} ${i.Put!.Item!.sk}`);
      expect(keys).toHaveLength(5);
      expect(keys).toEqual(expect.arrayContaining(['PLATFORM#signing-keys ACTIVE', 'AUDITHEAD#platform HEAD']));
    });

    it('refuses an invalid actor before writing anything', async () => {
      const { store, table } = await isolatedSigningKeys();
      const oldKid = (await store.activeKey()).kid;

      const rotation = store.rotate({ audit: { trail: new AuditTrail({ table }), actor: { type: 'root', id: 'x' } as never } });

      await expect(rotation).rejects.toBeInstanceOf(z.ZodError);
      expect(await rawPlatformAuditRecords(table)).toEqual([]);
      expect(keyItems(await rawSigningKeyItems(table)).map((i) => i.kid)).toEqual([oldKid]);
    });
  });
});

