import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { AuditTrail } from '../../functions/kernel/audit/audit-trail';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { Keys } from '../../functions/kernel/storage/keys';
import { testPlatform } from '../support/platform';
import { deleteRaw, expectedHash, GENESIS, getRaw, headKey, orgScope, putRaw, rawChain, recordKey, rehash, seedChain, type RawItem } from './audit-fixtures';

const platform = testPlatform();
const { table } = platform;

/** A real five-record chain, written through the trail, with varied actors, targets and outcomes. */
async function fiveRecordChain(): Promise<{ scope: string; records: RawItem[] }> {
  const scope = orgScope();
  let tick = Date.UTC(2025, 5, 1);
  const audit = new AuditTrail({ table, now: () => new Date((tick += 1_000)) });
  const actor = { type: 'user', id: 'u_admin', ip: '198.51.100.7' } as const;
  await audit.commit({ scope, actor, action: 'user.signed_up', metadata: { method: 'password' } });
  await audit.commit({ scope, actor, action: 'user.login_failed', outcome: 'failure', metadata: { reason: 'invalid_credentials' } });
  await audit.commit({ scope, actor, action: 'user.mfa_enabled', target: { type: 'user', id: 'u_admin' }, metadata: { method: 'totp' } });
  await audit.commit({ scope, actor: { type: 'system', id: 'janitor' }, action: 'user.password_changed', metadata: { via: 'reset', sessionsRevoked: 2 } });
  await audit.commit({ scope, actor, action: 'user.email_verified', metadata: {} });
  return { scope, records: await rawChain(table, scope) };
}

/** Rewrites one stored attribute in place, as someone with UpdateItem on the table would. */
async function setAttribute(scope: string, seq: number, name: string, value: unknown): Promise<void> {
  await table.doc.send(
    new UpdateCommand({
      TableName: inject('tableName'),
      Key: recordKey(scope, seq),
      UpdateExpression: 'SET #n = :v',
      ExpressionAttributeNames: { '#n': name },
      ExpressionAttributeValues: { ':v': value },
    }),
  );
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('verifyAuditChain', () => {
  describe('on an intact chain', () => {
    it('verifies a chain written by the trail and reports its head', async () => {
      const { scope, records } = await fiveRecordChain();

      expect(records).toHaveLength(5);
      await expect(verifyAuditChain(table, scope)).resolves.toEqual({ ok: true, scope, checked: 5, headHash: records[4]!.hash });
    });

    it('verifies a scope with no records as an empty chain', async () => {
      const scope = orgScope();
      await expect(verifyAuditChain(table, scope)).resolves.toEqual({ ok: true, scope, checked: 0, headHash: GENESIS });
    });

    it('verifies a chain longer than one page of the query, and the trail extends it', async () => {
      const scope = orgScope();
      const seeded = await seedChain(table, scope, 520);
      const next = await platform.audit.commit({ scope, actor: { type: 'system', id: 's' }, action: 'user.email_verified', metadata: {} });

      expect(next).toMatchObject({ seq: 521, prevHash: seeded.at(-1)!.hash });
      await expect(verifyAuditChain(table, scope)).resolves.toEqual({ ok: true, scope, checked: 521, headHash: next.hash });
    });

    it('checks records beyond the first page, not only the first page', async () => {
      const scope = orgScope();
      const seeded = await seedChain(table, scope, 520);
      await putRaw(table, { ...seeded[509]!, metadata: { reason: 'locked' } });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 509, brokenAt: { seq: 510, reason: 'hash_mismatch' } });
    });
  });

  describe('on a tampered chain', () => {
    it.each([
      ['metadata', 'metadata', { method: 'webauthn' }],
      ['actor', 'actor', { type: 'user', id: 'u_someone_else', ip: '198.51.100.7' }],
      ['outcome', 'outcome', 'denied'],
      ['time', 'at', '2025-06-01T00:00:03.500Z'],
      ['target', 'target', { type: 'user', id: 'u_other' }],
      ['action', 'action', 'user.mfa_disabled'],
      ['scope', 'scope', 'org:elsewhere'],
    ])('names an edited %s of a middle record as a hash mismatch', async (_label, attribute, value) => {
      const { scope } = await fiveRecordChain();
      await setAttribute(scope, 3, attribute, value);

      const result = await verifyAuditChain(table, scope);

      expect(result).toMatchObject({ ok: false, brokenAt: { seq: 3 } });
      // An edited scope no longer belongs to this chain; every other edit breaks the record's hash.
      expect(result).toMatchObject({ brokenAt: { reason: attribute === 'scope' ? 'sequence_gap' : 'hash_mismatch' } });
    });

    it('names a removed target of a middle record as a hash mismatch', async () => {
      const { scope, records } = await fiveRecordChain();
      const { target: _removed, ...withoutTarget } = records[2]!;
      await putRaw(table, withoutTarget);

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: 'hash_mismatch' } });
    });

    it('catches an edited record whose hash was recomputed at the next record', async () => {
      const { scope, records } = await fiveRecordChain();
      await putRaw(table, rehash({ ...records[2]!, outcome: 'denied' }));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 3, brokenAt: { seq: 4, reason: 'previous_hash_mismatch' } });
    });

    it('catches an edited last record whose hash was recomputed at the head', async () => {
      const { scope, records } = await fiveRecordChain();
      await putRaw(table, rehash({ ...records[4]!, actor: { type: 'system', id: 'nobody' } }));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, brokenAt: { seq: 5, reason: 'head_mismatch' } });
    });

    it('names a deleted middle record as a sequence gap', async () => {
      const { scope } = await fiveRecordChain();
      await deleteRaw(table, recordKey(scope, 3));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: 'sequence_gap' } });
    });

    it('names a deleted first record as a sequence gap at 1', async () => {
      const { scope } = await fiveRecordChain();
      await deleteRaw(table, recordKey(scope, 1));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 0, brokenAt: { seq: 1, reason: 'sequence_gap' } });
    });

    it('names two records whose contents were swapped at the first of them', async () => {
      const { scope, records } = await fiveRecordChain();
      const [second, third] = [records[1]!, records[2]!];
      await putRaw(table, { ...second, ...withoutKeys(third) });
      await putRaw(table, { ...third, ...withoutKeys(second) });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 1, brokenAt: { seq: 2, reason: 'sequence_gap' } });
    });

    it('names two records swapped with their sequence numbers kept at the first of them', async () => {
      const { scope, records } = await fiveRecordChain();
      const [second, third] = [records[1]!, records[2]!];
      await putRaw(table, { ...second, ...withoutKeys(third), seq: 2 });
      await putRaw(table, { ...third, ...withoutKeys(second), seq: 3 });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 1, brokenAt: { seq: 2, reason: 'previous_hash_mismatch' } });
    });

    it('names the first missing record of a truncated tail', async () => {
      const { scope } = await fiveRecordChain();
      await deleteRaw(table, recordKey(scope, 5));
      await deleteRaw(table, recordKey(scope, 4));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 3, brokenAt: { seq: 4, reason: 'head_mismatch' } });
    });

    it('names a deleted last record at its sequence number', async () => {
      const { scope } = await fiveRecordChain();
      await deleteRaw(table, recordKey(scope, 5));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 4, brokenAt: { seq: 5, reason: 'head_mismatch' } });
    });

    it('names a chain emptied of all its records at 1', async () => {
      const { scope } = await fiveRecordChain();
      for (let seq = 1; seq <= 5; seq++) await deleteRaw(table, recordKey(scope, seq));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 0, brokenAt: { seq: 1, reason: 'head_mismatch' } });
    });

    it('names a linked record appended behind the head at its sequence number', async () => {
      const { scope, records } = await fiveRecordChain();
      const last = records[4]!;
      const key = recordKey(scope, 6);
      await putRaw(table, { ...key, gsi1pk: last.gsi1pk, gsi1sk: key.sk, ...rehash({ ...withoutKeys(last), seq: 6, prevHash: last.hash }) });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 6, brokenAt: { seq: 6, reason: 'head_mismatch' } });
    });

    it('names an edited head hash at the last record', async () => {
      const { scope } = await fiveRecordChain();
      await putRaw(table, { ...(await getRaw(table, headKey(scope)))!, hash: 'f'.repeat(64) });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 5, brokenAt: { seq: 5, reason: 'head_mismatch' } });
    });

    it('names a head rewound to an earlier record at the first record it no longer covers', async () => {
      const { scope, records } = await fiveRecordChain();
      await putRaw(table, { ...(await getRaw(table, headKey(scope)))!, seq: 3, hash: records[2]!.hash });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 5, brokenAt: { seq: 4, reason: 'head_mismatch' } });
    });

    it('names a malformed head at the last record instead of throwing', async () => {
      const { scope } = await fiveRecordChain();
      await putRaw(table, { ...(await getRaw(table, headKey(scope)))!, seq: 'five' });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 5, brokenAt: { seq: 5, reason: 'head_mismatch' } });
    });

    it('names a deleted head at the first record it no longer covers', async () => {
      const { scope } = await fiveRecordChain();
      await deleteRaw(table, headKey(scope));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 5, brokenAt: { seq: 1, reason: 'head_mismatch' } });
    });

    it('names a record replaced by another chain’s record at the same position as a sequence gap', async () => {
      const { scope } = await fiveRecordChain();
      const other = await fiveRecordChain();
      await putRaw(table, { ...recordKey(scope, 3), ...withoutKeys(other.records[2]!), gsi1pk: Keys.auditByAction(scope, other.records[2]!.action), gsi1sk: recordKey(scope, 3).sk });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: 'sequence_gap' } });
    });

    it('names a record that expired (an expiresAt in the past) as a sequence gap', async () => {
      const { scope } = await fiveRecordChain();
      await setAttribute(scope, 3, 'expiresAt', nowSeconds() - 60);

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: 'sequence_gap' } });
    });
  });

  describe('on a malformed or altered stored item', () => {
    it.each([
      ['a seq that is not a number', (r: RawItem) => ({ ...r, seq: '3' })],
      ['a missing hash', ({ hash: _hash, ...r }: RawItem) => r],
      ['a hash that is not hex', (r: RawItem) => ({ ...r, hash: 'not-a-hash' })],
      ['an unknown outcome', (r: RawItem) => rehash({ ...r, outcome: 'maybe' })],
      ['an actor with an extra field', (r: RawItem) => rehash({ ...r, actor: { ...r.actor, role: 'owner' } })],
      ['metadata that is not an object', (r: RawItem) => ({ ...r, metadata: 'reason=locked' })],
      // DynamoDB TTL would delete the record later: a time bomb that must not verify as intact today.
      ['a future expiresAt', (r: RawItem) => ({ ...r, expiresAt: nowSeconds() + 86_400 })],
      ['an attribute the trail never writes', (r: RawItem) => ({ ...r, note: 'approved by security' })],
      // The by-action index is how investigators list records; moving a record out of it hides it.
      ['an index key that moves it under another action', (r: RawItem) => ({ ...r, gsi1pk: Keys.auditByAction(r.scope, 'user.signed_up') })],
      ['no index key, so the by-action index omits it', ({ gsi1pk: _pk, gsi1sk: _sk, ...r }: RawItem) => r],
    ])('names a middle record with %s as malformed', async (_label, alter) => {
      const { scope, records } = await fiveRecordChain();
      await putRaw(table, alter(records[2]!));

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: 'malformed_record' } });
    });

    it('ignores items of the partition outside the SEQ# range (the recomputed hashes are what count)', async () => {
      const { scope, records } = await fiveRecordChain();
      await putRaw(table, { pk: Keys.auditPartition(scope), sk: 'NOTE#1', text: 'not a record' });

      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: true, checked: 5, headHash: records[4]!.hash });
      for (const record of records) expect(record.hash).toBe(expectedHash(record));
    });
  });
});

function withoutKeys(item: RawItem): RawItem {
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, ...rest } = item;
  return rest;
}
