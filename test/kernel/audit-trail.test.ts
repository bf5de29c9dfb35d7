import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AuditTrail } from '../../functions/kernel/audit/audit-trail';
import { announceAuditRecords } from '../../functions/kernel/audit/audit-events';
import { sessionHash } from '../../functions/kernel/audit/catalogue';
import type { AuditRecord } from '../../functions/kernel/audit/record';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { ConflictError, ServiceUnavailableError } from '../../functions/kernel/errors';
import type { DomainEvent } from '../../functions/kernel/events/catalogue';
import { Conditions } from '../../functions/kernel/storage/conditions';
import { TransactionConditionFailed, type TransactWrite } from '../../functions/kernel/storage/table';
import { testPlatform, uniqueId } from '../support/platform';
import { expectedHash, GENESIS, getRaw, headKey, orgScope, putRaw, rawChain, recordKey, type RawItem } from './audit-fixtures';

const platform = testPlatform();
const { table } = platform;

const actor = { type: 'user', id: 'u_actor' } as const;

/** A change of the kind a handler commits with its audit record: create an item that must not exist. */
function createItem(pk: string, extra: Record<string, unknown> = {}): TransactWrite {
  return {
    item: { Put: { TableName: '', Item: { pk, sk: 'ITEM', ...extra }, ...Conditions.notExists } },
    onConditionFailed: () => new ConflictError('The item already exists.'),
  };
}

const loginFailed = (scope: string, reason: 'invalid_credentials' | 'locked' = 'invalid_credentials') =>
  ({ scope, actor, action: 'user.login_failed', outcome: 'failure', metadata: { reason } }) as const;

describe('AuditTrail', () => {
  afterEach(() => vi.restoreAllMocks());

  describe('commit', () => {
    it('writes records 1.. linked by prevHash, each hashed over its canonical encoding, and advances the head', async () => {
      const scope = orgScope();
      const at = new Date('2025-03-04T05:06:07.089Z');
      const audit = new AuditTrail({ table, now: () => at });

      const first = await audit.commit({ ...loginFailed(scope), target: { type: 'user', id: 'u_target' } });
      const second = await audit.commit({ scope, actor, action: 'user.login_succeeded', metadata: { sessionHash: sessionHash('s_1'), mfa: true } });
      const third = await audit.commit(loginFailed(scope, 'locked'));

      const stored = await rawChain(table, scope);
      expect(stored.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(stored.map((r) => r.sk)).toEqual([recordKey(scope, 1).sk, recordKey(scope, 2).sk, recordKey(scope, 3).sk]);
      expect(stored[0]).toMatchObject({
        scope,
        seq: 1,
        at: at.toISOString(),
        actor,
        action: 'user.login_failed',
        target: { type: 'user', id: 'u_target' },
        outcome: 'failure',
        metadata: { reason: 'invalid_credentials' },
        prevHash: GENESIS,
      });
      expect(stored[1]).toMatchObject({ outcome: 'success', metadata: { sessionHash: sessionHash('s_1'), mfa: true }, prevHash: stored[0]!.hash });
      expect(stored[1]).not.toHaveProperty('target');
      expect(stored[2]!.prevHash).toBe(stored[1]!.hash);
      for (const record of stored) expect(record.hash).toBe(expectedHash(record));
      expect([first.hash, second.hash, third.hash]).toEqual(stored.map((r) => r.hash));

      const head = await getRaw(table, headKey(scope));
      expect(head).toMatchObject({ scope, seq: 3, hash: third.hash });
      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: true, checked: 3, headHash: third.hash });
    });

    it('keeps chains of different scopes independent', async () => {
      const [a, b] = [orgScope(), `user:${uniqueId('u')}`];
      await platform.audit.commit(loginFailed(a));
      await platform.audit.commit(loginFailed(b));
      await platform.audit.commit(loginFailed(a));

      expect((await rawChain(table, a)).map((r) => [r.scope, r.seq])).toEqual([[a, 1], [a, 2]]);
      expect((await rawChain(table, b)).map((r) => [r.scope, r.seq, r.prevHash])).toEqual([[b, 1, GENESIS]]);
    });

    it('lands the change and its record together', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;

      await platform.audit.commit(loginFailed(scope), [createItem(pk, { name: 'created' })]);

      expect(await getRaw(table, { pk, sk: 'ITEM' })).toMatchObject({ name: 'created' });
      expect(await rawChain(table, scope)).toHaveLength(1);
    });

    it('lands neither the change nor the record when the change fails its own condition, and throws the change error', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;
      await putRaw(table, { pk, sk: 'ITEM', name: 'original' });
      const untouched = `TEST#${uniqueId()}`;

      const failed = platform.audit.commit(loginFailed(scope), [createItem(untouched), createItem(pk, { name: 'overwritten' })]);

      await expect(failed).rejects.toBeInstanceOf(ConflictError);
      await expect(failed).rejects.toMatchObject({ code: 'conflict' });
      expect(await getRaw(table, { pk, sk: 'ITEM' })).toMatchObject({ name: 'original' });
      expect(await getRaw(table, { pk: untouched, sk: 'ITEM' })).toBeUndefined();
      expect(await rawChain(table, scope)).toEqual([]);
      expect(await getRaw(table, headKey(scope))).toBeUndefined();
    });

    it('names the failed change by its index when the change declares no error of its own', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;
      await putRaw(table, { pk, sk: 'ITEM' });

      const failed = platform.audit.commit(loginFailed(scope), [
        createItem(`TEST#${uniqueId()}`),
        { item: { Put: { TableName: '', Item: { pk, sk: 'ITEM' }, ...Conditions.notExists } } },
      ]);

      await expect(failed).rejects.toBeInstanceOf(TransactionConditionFailed);
      await expect(failed).rejects.toMatchObject({ index: 1 });
      expect(await rawChain(table, scope)).toEqual([]);
    });

    it('does not land the change when its audit record cannot be written', async () => {
      const scope = orgScope();
      // A squatter where the next record must go: the record's attribute_not_exists fails on every attempt.
      await putRaw(table, { ...recordKey(scope, 1), squatter: true });
      const pk = `TEST#${uniqueId()}`;

      const failed = platform.audit.commit(loginFailed(scope), [createItem(pk)]);

      await expect(failed).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(failed).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(await getRaw(table, { pk, sk: 'ITEM' })).toBeUndefined();
      expect(await getRaw(table, recordKey(scope, 1))).toEqual({ ...recordKey(scope, 1), squatter: true });
      expect(await getRaw(table, headKey(scope))).toBeUndefined();
    });

    it('does not land the change when the chain head was moved under it and the record slot is taken', async () => {
      const scope = orgScope();
      await platform.audit.commit(loginFailed(scope));
      // The head says seq 1, but someone wrote seq 2 without advancing it: the trail cannot link a record.
      await putRaw(table, { ...recordKey(scope, 2), squatter: true });
      const pk = `TEST#${uniqueId()}`;

      await expect(platform.audit.commit(loginFailed(scope), [createItem(pk)])).rejects.toMatchObject({ code: 'service_unavailable' });

      expect(await getRaw(table, { pk, sk: 'ITEM' })).toBeUndefined();
      expect(await getRaw(table, headKey(scope))).toMatchObject({ seq: 1 });
    });

    it('produces a gapless, fork-free chain from 25 concurrent commits to one scope', async () => {
      const scope = orgScope();
      const commits = Array.from({ length: 25 }, (_, i) =>
        platform.audit.commit({ ...loginFailed(scope), target: { type: 'user', id: `u${i}` } }, [createItem(`TEST#${uniqueId()}`, { i })]),
      );

      const records = await Promise.all(commits);

      expect(records.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      const stored = await rawChain(table, scope);
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      // No fork: each record links to the one before it, and every writer's target appears exactly once.
      stored.forEach((r, i) => expect(r.prevHash).toBe(i === 0 ? GENESIS : stored[i - 1]!.hash));
      expect(new Set(stored.map((r) => r.target.id)).size).toBe(25);
      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: true, checked: 25 });
    });

    it('retries when DynamoDB cancels the transaction for a conflict with a concurrent one, and lands once', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;
      const send = table.doc.send.bind(table.doc);
      let transactions = 0;
      // DynamoDB Local serialises transactions; DynamoDB cancels one that meets another on the head.
      vi.spyOn(table.doc, 'send').mockImplementation(((command: unknown) => {
        if (command instanceof TransactWriteCommand && ++transactions === 1) {
          const reasons = (command.input.TransactItems ?? []).map((_, i) => ({ Code: i === 1 ? 'TransactionConflict' : 'None' }));
          return Promise.reject(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons }));
        }
        return send(command as never);
      }) as never);

      const record = await platform.audit.commit(loginFailed(scope), [createItem(pk)]);

      expect(transactions).toBe(2);
      expect(record.seq).toBe(1);
      expect(await getRaw(table, { pk, sk: 'ITEM' })).toBeDefined();
      expect(await rawChain(table, scope)).toHaveLength(1);
    });

    it('re-evaluates the change when it retries after losing the head, so a change that became invalid is not committed', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;
      // Two writers race to create the same item in one scope: exactly one may win, and only its record lands.
      const results = await Promise.allSettled([
        platform.audit.commit(loginFailed(scope), [createItem(pk, { writer: 'a' })]),
        platform.audit.commit(loginFailed(scope), [createItem(pk, { writer: 'b' })]),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.reason).toBeInstanceOf(ConflictError);
      expect(await rawChain(table, scope)).toHaveLength(1);
    });

    it('refuses changes that write audit records or chain heads', async () => {
      const scope = orgScope();
      const first = await platform.audit.commit(loginFailed(scope));
      const victim = recordKey(scope, 1);
      const attacks: TransactWrite[] = [
        { item: { Delete: { TableName: '', Key: victim } } },
        { item: { Update: { TableName: '', Key: victim, UpdateExpression: 'SET outcome = :o', ExpressionAttributeValues: { ':o': 'success' } } } },
        { item: { Put: { TableName: '', Item: { ...recordKey(scope, 9), forged: true } } } },
        { item: { Put: { TableName: '', Item: { ...headKey(scope), scope, seq: 0, hash: GENESIS } } } },
        { item: { Delete: { TableName: '', Key: recordKey(orgScope(), 1) } } },
      ];

      for (const attack of attacks) {
        await expect(platform.audit.commit(loginFailed(scope), [attack])).rejects.toBeInstanceOf(TypeError);
      }

      const stored = await rawChain(table, scope);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ hash: first.hash, outcome: 'failure' });
      expect(await getRaw(table, headKey(scope))).toMatchObject({ seq: 1, hash: first.hash });
    });

    it('refuses more changes than fit in one transaction with the record and head', async () => {
      const changes = Array.from({ length: 99 }, () => createItem(`TEST#${uniqueId()}`));
      await expect(platform.audit.commit(loginFailed(orgScope()), changes)).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('commit: entry validation', () => {
    it.each([
      ['an extra metadata field', { action: 'user.login_failed', metadata: { reason: 'locked', password: 'hunter2' } }],
      ['a metadata value outside its enum', { action: 'user.login_failed', metadata: { reason: 'because' } }],
      ['missing metadata', { action: 'user.login_failed', metadata: {} }],
      ['metadata of another action', { action: 'user.login_failed', metadata: { sessionHash: sessionHash('s_1'), mfa: true } }],
      ['a raw session id where its hash belongs', { action: 'user.session_revoked', metadata: { sessionHash: 'ses_1', reason: 'logout' } }],
    ])('refuses %s and writes nothing', async (_label, entry) => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;

      await expect(platform.audit.commit({ scope, actor, ...entry } as never, [createItem(pk)])).rejects.toBeInstanceOf(z.ZodError);

      expect(await getRaw(table, { pk, sk: 'ITEM' })).toBeUndefined();
      expect(await rawChain(table, scope)).toEqual([]);
    });

    it('refuses an extra metadata field with an unrecognized_keys issue', async () => {
      const failed = platform.audit.commit({ ...loginFailed(orgScope()), metadata: { reason: 'locked', token: 'x' } } as never);
      await expect(failed).rejects.toBeInstanceOf(z.ZodError);
      await expect(failed).rejects.toMatchObject({ issues: [expect.objectContaining({ code: 'unrecognized_keys', keys: ['token'] })] });
    });

    it.each(['org.deleted_everything', 'constructor', 'toString', '__proto__', ''])(
      'refuses the unknown action %j as a programming error and writes nothing',
      async (action) => {
        const scope = orgScope();
        const pk = `TEST#${uniqueId()}`;

        await expect(platform.audit.commit({ scope, actor, action, metadata: {} } as never, [createItem(pk)])).rejects.toBeInstanceOf(TypeError);

        expect(await getRaw(table, { pk, sk: 'ITEM' })).toBeUndefined();
        expect(await rawChain(table, scope)).toEqual([]);
      },
    );

    it.each(['tenant:abc', 'org:', 'org', 'org:a/b', 'org:a#SEQ#000000000001', 'user:a:b', 'Platform', 'platform:x', `org:${'a'.repeat(65)}`, ' org:abc'])(
      'refuses the scope %j',
      async (scope) => {
        await expect(platform.audit.commit(loginFailed(scope))).rejects.toBeInstanceOf(z.ZodError);
      },
    );

    it('accepts the platform scope', async () => {
      // The platform chain is shared by every run against this table, so assert on this record only.
      const record = await platform.audit.commit({
        scope: 'platform',
        actor: { type: 'system', id: 'audit-verifier' },
        action: 'platform.audit_verified',
        metadata: { scope: orgScope(), ok: true, checked: 0 },
      });
      expect(record).toMatchObject({ scope: 'platform', action: 'platform.audit_verified' });
      expect(record.hash).toBe(expectedHash(record));
    });

    it.each([
      ['an unknown actor type', { type: 'root', id: 'x' }],
      ['an extra actor field', { type: 'user', id: 'x', email: 'a@example.com' }],
      ['an empty actor id', { type: 'user', id: '' }],
    ])('refuses %s', async (_label, badActor) => {
      await expect(platform.audit.commit({ ...loginFailed(orgScope()), actor: badActor } as never)).rejects.toBeInstanceOf(z.ZodError);
    });
  });

  describe('commit: events', () => {
    const recordedFor = (scope: string) =>
      platform.events.published.filter((e) => e['detail-type'] === 'audit.recorded' && (e.detail as { scope?: string }).scope === scope);

    it('publishes audit.recorded with ids and facts only, after the record is durable', async () => {
      const scope = orgScope();
      const record = await platform.audit.commit({
        scope,
        actor: { type: 'user', id: 'u_actor', ip: '203.0.113.9', userAgent: 'curl/8.0 (secret-ua-marker)' },
        action: 'user.login_succeeded',
        target: { type: 'user', id: 'u_target' },
        metadata: { sessionHash: sessionHash('s_1'), mfa: false },
      });
      await platform.events.drain();

      const events = recordedFor(scope);
      expect(events).toHaveLength(1);
      expect(events[0]!.source).toBe('rampart.audit');
      expect(events[0]!.detail).toEqual({
        scope,
        seq: 1,
        action: 'user.login_succeeded',
        outcome: 'success',
        hash: record.hash,
        targetId: 'u_target',
      });
      const wire = JSON.stringify(events[0]);
      for (const leaked of ['203.0.113.9', 'secret-ua-marker', sessionHash('s_1'), 'u_actor', 'mfa']) expect(wire).not.toContain(leaked);
    });

    it('publishes nothing for a commit that did not land', async () => {
      const scope = orgScope();
      const pk = `TEST#${uniqueId()}`;
      await putRaw(table, { pk, sk: 'ITEM' });

      await expect(platform.audit.commit(loginFailed(scope), [createItem(pk)])).rejects.toBeInstanceOf(ConflictError);
      await platform.events.drain();

      expect(recordedFor(scope)).toEqual([]);
    });

    it('reports a publishing failure without failing the commit, whose record is durable', async () => {
      const scope = orgScope();
      const failures: unknown[] = [];
      const published: DomainEvent[][] = [];
      const outage = new Error('event bus down');
      const audit = new AuditTrail({
        table,
        onRecorded: announceAuditRecords(
          {
            publish: async (events) => {
              published.push([...events]);
              throw outage;
            },
          },
          (error) => failures.push(error),
        ),
      });

      const record: AuditRecord = await audit.commit(loginFailed(scope));

      expect(published).toHaveLength(1);
      expect(failures).toEqual([outage]);
      expect(await getRaw(table, recordKey(scope, 1))).toMatchObject({ hash: record.hash });
    });
  });

  describe('commit: write shape', () => {
    /** Every audit-keyed operation the trail sends, captured below the Table port. */
    function captureAuditWrites() {
      const operations: { kind: string; op: RawItem }[] = [];
      const others: string[] = [];
      const send = table.doc.send.bind(table.doc);
      vi.spyOn(table.doc, 'send').mockImplementation(((command: { constructor: { name: string }; input: RawItem }) => {
        if (command instanceof TransactWriteCommand) {
          for (const entry of command.input.TransactItems ?? []) {
            for (const [kind, op] of Object.entries(entry as RawItem)) operations.push({ kind, op });
          }
        } else {
          others.push(command.constructor.name);
        }
        return send(command as never);
      }) as never);
      return { operations, others };
    }

    const touchesAudit = (op: RawItem) => String((op.Item ?? op.Key)?.pk).startsWith('AUDIT');

    it('only ever puts audit records with attribute_not_exists, and never updates or deletes one', async () => {
      const scope = orgScope();
      const taken = `TEST#${uniqueId()}`;
      await putRaw(table, { pk: taken, sk: 'ITEM' });
      const { operations, others } = captureAuditWrites();

      // A plain commit, a commit with a change, a failed change, and contention that forces retries.
      await platform.audit.commit(loginFailed(scope));
      await platform.audit.commit(loginFailed(scope), [createItem(`TEST#${uniqueId()}`)]);
      await expect(platform.audit.commit(loginFailed(scope), [createItem(taken)])).rejects.toBeInstanceOf(ConflictError);
      await Promise.all(Array.from({ length: 6 }, () => platform.audit.commit(loginFailed(scope))));

      const audited = operations.filter(({ op }) => touchesAudit(op));
      const records = audited.filter(({ op }) => String((op.Item ?? op.Key).pk).startsWith('AUDIT#'));
      expect(records.length).toBeGreaterThanOrEqual(9);
      for (const { kind, op } of records) {
        expect(kind).toBe('Put');
        expect(op.ConditionExpression).toBe('attribute_not_exists(#pk)');
        expect(op.ExpressionAttributeNames).toEqual({ '#pk': 'pk' });
      }
      // Heads are replaced (conditionally), never deleted; nothing else touches audit keys.
      for (const { kind } of audited) expect(kind).toBe('Put');
      // Outside transactions the trail only reads (the chain head).
      expect(new Set(others)).toEqual(new Set(['GetCommand']));
      await expect(verifyAuditChain(table, scope)).resolves.toMatchObject({ ok: true, checked: 8 });
    });
  });
});
