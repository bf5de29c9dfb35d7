import { createServer, type Server, type Socket } from 'node:net';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConflictError, NotFoundError, PreconditionFailedError, ServiceUnavailableError, ValidationError } from '../../functions/kernel/errors';
import { Conditions } from '../../functions/kernel/storage/conditions';
import { Table, TransactionConditionFailed, TransactionConflictError, type TransactWrite } from '../../functions/kernel/storage/table';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local';
import { testPlatform, uniqueId } from '../support/platform';
import { getRaw, putRaw } from './audit-fixtures';

const { table } = testPlatform();

const Named = z.object({ name: z.string() });
const Numbered = z.object({ n: z.number() });
const Versioned = z.object({ name: z.string(), version: z.number() });

const partition = () => `TEST#${uniqueId()}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Writes `count` items `<prefix>0000..` into one partition (in parallel; each put is independent). */
async function fill(table: Table, pk: string, prefix: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, n) => table.put({ pk, sk: `${prefix}${String(n).padStart(4, '0')}`, n, gsi1pk: `${pk}#BY_N`, gsi1sk: `${prefix}${String(n).padStart(4, '0')}` })));
}

/** Follows cursors to the end and returns every item seen, in order. */
async function readAll(query: (cursor?: string) => ReturnType<Table['query']>, maxPages = 100): Promise<unknown[]> {
  const seen: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await query(cursor);
    seen.push(...result.items);
    cursor = result.cursor;
    if (!cursor) return seen;
  }
  throw new Error(`no last page within ${maxPages} pages`);
}

/** A cursor handed out by a real query of `pk` (a page of one over two items). */
async function cursorFor(pk: string, prefix = 'A#'): Promise<string> {
  await fill(table, pk, prefix, 2);
  const page = await table.query({ schema: Numbered, partition: pk, sortKeyPrefix: prefix, limit: 1 });
  expect(page.cursor).toBeTypeOf('string');
  return page.cursor!;
}

const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v: number; k: Record<string, unknown> };
const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('Table', () => {
  afterEach(() => vi.restoreAllMocks());

  describe('ping', () => {
    it('completes a round trip to the table', async () => {
      await expect(table.ping({ pk: partition(), sk: 'PROBE' }, 5_000)).resolves.toBeUndefined();
    });

    it('gives up within its time bound when the table does not answer', async () => {
      // A server that accepts connections and never replies: the hang a ping must not inherit.
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      const unreachable = new Table({
        tableName: 'rampart-test',
        clientConfig: { endpoint: `http://127.0.0.1:${port}`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
      });
      try {
        const started = Date.now();
        await expect(unreachable.ping({ pk: 'PLATFORM#health', sk: 'PROBE' }, 200)).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
        unreachable.doc.destroy();
      }
    });
  });

  describe('get / put', () => {
    it('reads back what it wrote, without the storage keys', async () => {
      const pk = partition();
      await table.put({ pk, sk: 'ITEM', name: 'first' });

      // A strict schema proves pk/sk are not handed to the entity.
      await expect(table.get({ pk, sk: 'ITEM' }, z.strictObject({ name: z.string() }))).resolves.toEqual({ name: 'first' });
    });

    it('returns undefined for an item that does not exist', async () => {
      await expect(table.get({ pk: partition(), sk: 'ITEM' }, Named)).resolves.toBeUndefined();
    });

    it('refuses a second create with ConflictError and keeps the first item', async () => {
      const pk = partition();
      await table.put({ pk, sk: 'ITEM', name: 'first' }, { condition: Conditions.notExists });

      const second = table.put({ pk, sk: 'ITEM', name: 'second' }, { condition: Conditions.notExists });

      await expect(second).rejects.toBeInstanceOf(ConflictError);
      await expect(second).rejects.toMatchObject({ code: 'conflict', statusCode: 409 });
      await expect(table.get({ pk, sk: 'ITEM' }, Named)).resolves.toEqual({ name: 'first' });
    });

    it('raises the caller’s error when its condition fails', async () => {
      const pk = partition();

      const update = table.put({ pk, sk: 'ITEM', name: 'x' }, { condition: Conditions.exists, onConditionFailed: () => new NotFoundError() });

      await expect(update).rejects.toMatchObject({ code: 'not_found' });
      await expect(table.get({ pk, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
    });

    it('refuses a value that does not match the schema rather than returning it', async () => {
      const pk = partition();
      await putRaw(table, { pk, sk: 'ITEM', name: 42 });

      await expect(table.get({ pk, sk: 'ITEM' }, Named)).rejects.toBeInstanceOf(z.ZodError);
    });
  });

  describe('putVersioned', () => {
    it('creates at expected version 0 and stores version 1', async () => {
      const key = { pk: partition(), sk: 'ITEM' };

      await expect(table.putVersioned({ ...key, name: 'v1' }, 0)).resolves.toBe(1);
      await expect(table.get(key, Versioned)).resolves.toEqual({ name: 'v1', version: 1 });
    });

    it('refuses a second create at version 0 with ConflictError', async () => {
      const key = { pk: partition(), sk: 'ITEM' };
      await table.putVersioned({ ...key, name: 'v1' }, 0);

      await expect(table.putVersioned({ ...key, name: 'again' }, 0)).rejects.toMatchObject({ code: 'conflict' });
      await expect(table.get(key, Versioned)).resolves.toEqual({ name: 'v1', version: 1 });
    });

    it('replaces the item when the expected version is current', async () => {
      const key = { pk: partition(), sk: 'ITEM' };
      await table.putVersioned({ ...key, name: 'v1' }, 0);

      await expect(table.putVersioned({ ...key, name: 'v2' }, 1)).resolves.toBe(2);
      await expect(table.get(key, Versioned)).resolves.toEqual({ name: 'v2', version: 2 });
    });

    it('refuses a stale version with PreconditionFailedError and keeps the newer item', async () => {
      const key = { pk: partition(), sk: 'ITEM' };
      await table.putVersioned({ ...key, name: 'v1' }, 0);
      await table.putVersioned({ ...key, name: 'v2' }, 1);

      const stale = table.putVersioned({ ...key, name: 'lost update' }, 1);

      await expect(stale).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(stale).rejects.toMatchObject({ code: 'precondition_failed', statusCode: 412 });
      await expect(table.get(key, Versioned)).resolves.toEqual({ name: 'v2', version: 2 });
    });

    it('refuses an update of an item that does not exist', async () => {
      const key = { pk: partition(), sk: 'ITEM' };

      await expect(table.putVersioned({ ...key, name: 'ghost' }, 3)).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(table.get(key, Versioned)).resolves.toBeUndefined();
    });

    it('lets exactly one of ten concurrent updates from the same version win', async () => {
      const key = { pk: partition(), sk: 'ITEM' };
      await table.putVersioned({ ...key, name: 'v1' }, 0);

      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => table.putVersioned({ ...key, name: `writer-${i}` }, 1)));

      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      await expect(table.get(key, Versioned)).resolves.toEqual({ name: `writer-${winners[0]}`, version: 2 });
    });
  });

  describe('transact', () => {
    const create = (pk: string, extra: Record<string, unknown> = {}, onConditionFailed?: () => Error): TransactWrite => ({
      item: { Put: { TableName: '', Item: { pk, sk: 'ITEM', name: 'new', ...extra }, ...Conditions.notExists } },
      ...(onConditionFailed ? { onConditionFailed } : {}),
    });

    it('writes every item when every condition holds', async () => {
      const pks = [partition(), partition(), partition()];

      await table.transact(pks.map((pk) => create(pk)));

      for (const pk of pks) await expect(table.get({ pk, sk: 'ITEM' }, Named)).resolves.toEqual({ name: 'new' });
    });

    it('writes nothing when one item’s condition fails, and raises that item’s error', async () => {
      const [a, b, taken, d] = [partition(), partition(), partition(), partition()];
      await table.put({ pk: taken, sk: 'ITEM', name: 'original' });
      await table.putVersioned({ pk: d, sk: 'ITEM', name: 'v1' }, 0);

      const failed = table.transact([
        create(a, {}, () => new ConflictError('a exists')),
        { item: { Update: { TableName: '', Key: { pk: d, sk: 'ITEM' }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': 'changed' } } } },
        create(taken, {}, () => new NotFoundError('the third one')),
        create(b, {}, () => new ConflictError('b exists')),
      ]);

      await expect(failed).rejects.toBeInstanceOf(NotFoundError);
      await expect(table.get({ pk: a, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
      await expect(table.get({ pk: b, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
      await expect(table.get({ pk: taken, sk: 'ITEM' }, Named)).resolves.toEqual({ name: 'original' });
      await expect(table.get({ pk: d, sk: 'ITEM' }, Versioned)).resolves.toEqual({ name: 'v1', version: 1 });
    });

    it('names the failed item by its index when it declares no error', async () => {
      const taken = partition();
      await table.put({ pk: taken, sk: 'ITEM', name: 'original' });

      const failed = table.transact([create(partition()), create(partition()), create(taken)]);

      await expect(failed).rejects.toBeInstanceOf(TransactionConditionFailed);
      await expect(failed).rejects.toMatchObject({ index: 2 });
    });

    it.each([
      ['a conflict with a concurrent transaction', 'TransactionConflict', TransactionConflictError],
      ['throttling', 'ThrottlingError', ServiceUnavailableError],
    ])('reports %s as a retryable 503 and writes nothing', async (_label, code, errorClass) => {
      const target = partition();
      vi.spyOn(table.doc, 'send').mockImplementation(((command: unknown) => {
        if (!(command instanceof TransactWriteCommand)) throw new Error('unexpected command');
        const reasons = (command.input.TransactItems ?? []).map(() => ({ Code: code }));
        return Promise.reject(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons }));
      }) as never);

      const failed = table.transact([create(target, {}, () => new ConflictError('exists'))]);

      // Exactly this class: only a conflict tells the audit trail to re-read the head and retry.
      await expect(failed).rejects.toSatisfy((error) => (error as object).constructor === errorClass);
      await expect(failed).rejects.toMatchObject({ code: 'service_unavailable', statusCode: 503 });
      vi.restoreAllMocks();
      await expect(table.get({ pk: target, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
    });

    it('fails a condition check item without writing the others', async () => {
      const [guard, target] = [partition(), partition()];

      const failed = table.transact([
        { item: { ConditionCheck: { TableName: '', Key: { pk: guard, sk: 'ITEM' }, ...Conditions.exists } }, onConditionFailed: () => new NotFoundError() },
        create(target),
      ]);

      await expect(failed).rejects.toMatchObject({ code: 'not_found' });
      await expect(table.get({ pk: target, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
    });
  });

  describe('query', () => {
    it('returns only the items under the sort key prefix, in order, and in reverse', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 5);
      await fill(table, pk, 'B#', 3);
      await table.put({ pk, sk: 'A', n: -1 });

      const asc = await table.query({ schema: Numbered, partition: pk, sortKeyPrefix: 'A#' });
      const desc = await table.query({ schema: Numbered, partition: pk, sortKeyPrefix: 'A#', ascending: false });

      expect(asc).toEqual({ items: [0, 1, 2, 3, 4].map((n) => ({ n })) });
      expect(desc.items.map((i) => i.n)).toEqual([4, 3, 2, 1, 0]);
    });

    it('returns only the items within sortKeyBetween, bounds included', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 6);

      const page = await table.query({ schema: Numbered, partition: pk, sortKeyBetween: ['A#0001', 'A#0003'] });

      expect(page.items.map((i) => i.n)).toEqual([1, 2, 3]);
    });

    it('never returns another partition’s items', async () => {
      const [mine, theirs] = [partition(), partition()];
      await fill(table, mine, 'A#', 2);
      await fill(table, theirs, 'A#', 2);

      const page = await table.query({ schema: z.looseObject({}), partition: mine, withKeys: true });

      expect(page.items.map((i) => i.pk)).toEqual([mine, mine]);
    });

    it('pages through every item exactly once by following the cursor', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 23);
      await fill(table, pk, 'B#', 4);

      const seen = await readAll((cursor) => table.query({ schema: Numbered, partition: pk, sortKeyPrefix: 'A#', limit: 5, ...(cursor ? { cursor } : {}) }));

      expect(seen).toEqual(Array.from({ length: 23 }, (_, n) => ({ n })));
    });

    it('pages backwards through every item exactly once', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 12);

      const seen = await readAll((cursor) => table.query({ schema: Numbered, partition: pk, ascending: false, limit: 5, ...(cursor ? { cursor } : {}) }));

      expect(seen).toEqual(Array.from({ length: 12 }, (_, n) => ({ n: 11 - n })));
    });

    it('pages through an index by following the cursor', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 7);
      const indexPartition = `${pk}#BY_N`;

      const seen: unknown[] = [];
      const deadline = Date.now() + 10_000;
      // The index is eventually consistent: poll until all seven are visible, then page them.
      for (;;) {
        const all = await table.query({ schema: Numbered, index: 'gsi1', partition: indexPartition });
        if (all.items.length === 7) break;
        if (Date.now() > deadline) throw new Error('gsi1 did not show the items within 10 s');
      }
      seen.push(...(await readAll((cursor) => table.query({ schema: Numbered, index: 'gsi1', partition: indexPartition, limit: 3, ...(cursor ? { cursor } : {}) }))));

      expect(seen).toEqual(Array.from({ length: 7 }, (_, n) => ({ n })));
    });

    it('ends with no cursor when everything fitted in one page', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 3);

      await expect(table.query({ schema: Numbered, partition: pk, limit: 10 })).resolves.toEqual({ items: [{ n: 0 }, { n: 1 }, { n: 2 }] });
    });
  });

  describe('expired items', () => {
    it('are not returned by get', async () => {
      const pk = partition();
      await table.put({ pk, sk: 'ITEM', name: 'stale', expiresAt: nowSeconds() - 1 });

      await expect(table.get({ pk, sk: 'ITEM' }, Named)).resolves.toBeUndefined();
      // Still physically there: DynamoDB deletes expired items late, so readers must check.
      expect(await getRaw(table, { pk, sk: 'ITEM' })).toMatchObject({ name: 'stale' });
    });

    it('are not returned by query, while live ones are', async () => {
      const pk = partition();
      await table.put({ pk, sk: 'A#1', n: 1, expiresAt: nowSeconds() - 3600 });
      await table.put({ pk, sk: 'A#2', n: 2, expiresAt: nowSeconds() + 3600 });
      await table.put({ pk, sk: 'A#3', n: 3 });

      await expect(table.query({ schema: Numbered, partition: pk })).resolves.toEqual({ items: [{ n: 2 }, { n: 3 }] });
    });

    it('are returned by get until they expire', async () => {
      const pk = partition();
      await table.put({ pk, sk: 'ITEM', name: 'live', expiresAt: nowSeconds() + 3600 });

      await expect(table.get({ pk, sk: 'ITEM' }, Named)).resolves.toEqual({ name: 'live' });
    });
  });

  describe('query cursors (attacks)', () => {
    const refused = async (promise: Promise<unknown>) => {
      await expect(promise).rejects.toBeInstanceOf(ValidationError);
      await expect(promise).rejects.toMatchObject({ code: 'validation_failed', statusCode: 400 });
    };

    it('refuses a cursor from partition A presented to a query of partition B', async () => {
      const [a, b] = [partition(), partition()];
      const cursorOfA = await cursorFor(a);
      await fill(table, b, 'A#', 2);

      await refused(table.query({ schema: Numbered, partition: b, sortKeyPrefix: 'A#', cursor: cursorOfA }));
    });

    it('refuses a cursor re-encoded to point into another partition', async () => {
      const [mine, victim] = [partition(), partition()];
      const cursor = await cursorFor(mine);
      await fill(table, victim, 'A#', 3);
      const forged = encode({ v: 1, k: { ...decode(cursor).k, pk: victim } });

      // Presented to my own partition's query, it names the victim's keys.
      await refused(table.query({ schema: Numbered, partition: mine, sortKeyPrefix: 'A#', cursor: forged }));
    });

    it('refuses a cursor whose sort key is outside the query’s prefix', async () => {
      const pk = partition();
      await fill(table, pk, 'B#', 2);
      const cursorOfA = await cursorFor(pk, 'A#');

      await refused(table.query({ schema: Numbered, partition: pk, sortKeyPrefix: 'B#', cursor: cursorOfA }));
    });

    it('refuses a cursor whose sort key is outside the query’s range', async () => {
      const pk = partition();
      await fill(table, pk, 'A#', 6);
      const forged = encode({ v: 1, k: { pk, sk: 'Z#9999' } });

      await refused(table.query({ schema: Numbered, partition: pk, sortKeyBetween: ['A#0001', 'A#0003'], cursor: forged }));
    });

    it('refuses an index cursor presented to a table query of the same partition value', async () => {
      // Items whose index partition value equals their table partition value: only the extra
      // index attributes tell the two cursors apart.
      const pk = partition();
      await Promise.all([0, 1, 2].map((n) => table.put({ pk, sk: `A#${n}`, n, gsi1pk: pk, gsi1sk: `A#${n}` })));
      const deadline = Date.now() + 10_000;
      let indexCursor: string | undefined;
      while (!indexCursor) {
        indexCursor = (await table.query({ schema: Numbered, index: 'gsi1', partition: pk, limit: 1 })).cursor;
        if (!indexCursor && Date.now() > deadline) throw new Error('gsi1 did not page within 10 s');
      }
      expect(decode(indexCursor).k).toMatchObject({ pk, gsi1pk: pk });

      await refused(table.query({ schema: Numbered, partition: pk, cursor: indexCursor }));
    });

    it('refuses a table cursor presented to an index query', async () => {
      const pk = partition();
      const cursor = await cursorFor(pk);

      await refused(table.query({ schema: Numbered, index: 'gsi1', partition: pk, cursor }));
    });

    it.each([
      ['garbage', () => 'not a cursor!'],
      ['valid base64 that is not JSON', () => Buffer.from('{{{').toString('base64url')],
      ['an unknown version', (c: string) => encode({ ...decode(c), v: 2 })],
      ['a non-string key attribute', (c: string) => encode({ v: 1, k: { ...decode(c).k, sk: 7 } })],
      ['a nested object as a key attribute', (c: string) => encode({ v: 1, k: { ...decode(c).k, sk: { S: 'A#0000' } } })],
      ['an extra attribute', (c: string) => encode({ v: 1, k: { ...decode(c).k, owner: 'me' } })],
      ['an extra index attribute', (c: string) => encode({ v: 1, k: { ...decode(c).k, gsi1pk: 'x', gsi1sk: 'y' } })],
      ['an empty sort key', (c: string) => encode({ v: 1, k: { ...decode(c).k, sk: '' } })],
      ['no sort key', (c: string) => encode({ v: 1, k: { pk: decode(c).k.pk } })],
      ['an oversized payload', (c: string) => encode({ v: 1, k: { ...decode(c).k, sk: `A#${'0'.repeat(3000)}` } })],
      ['a truncated cursor', (c: string) => c.slice(0, c.length - 5)],
    ])('refuses %s', async (_label, tamper) => {
      const pk = partition();
      const cursor = await cursorFor(pk);

      await refused(table.query({ schema: Numbered, partition: pk, sortKeyPrefix: 'A#', cursor: tamper(cursor) }));
    });
  });
});
