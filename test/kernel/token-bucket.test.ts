import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, RateLimitedError, ServiceUnavailableError } from '../../functions/kernel/errors';
import { consumeRateLimit } from '../../functions/kernel/rate-limit/consume';
import { NamedBuckets } from '../../functions/kernel/rate-limit/policies';
import { bucketId } from '../../functions/kernel/rate-limit/subjects';
import {
  MAX_ATTEMPTS,
  RateLimitStorageError,
  TAT_ATTRIBUTE,
  TokenBuckets,
  TTL_MARGIN_SECONDS,
  type BucketPolicy,
} from '../../functions/kernel/rate-limit/token-bucket';
import { Keys } from '../../functions/kernel/storage/keys';
import { Table } from '../../functions/kernel/storage/table';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local';
import { testPlatform, uniqueId } from '../support/platform';
import { freePort } from '../support/ports';

const { table } = testPlatform();

/** A clock the test moves by hand; starts at a fixed, realistic epoch-ms value. */
function manualClock(start = 1_750_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

/**
 * DynamoDB Local serialises writes to one item slowly (tens of ms each, more with other test files
 * running): fifty contending requests can wait longer than production's call bound, which is not
 * what the concurrency tests are about.
 */
const CONTENDED_CALL_TIMEOUT_MS = 20_000;

const bucket = () => bucketId('test', [uniqueId()]);

/** Consumes `count` tokens one after another and returns the decisions. */
async function consumeSequentially(buckets: TokenBuckets, id: string, policy: BucketPolicy, count: number) {
  const decisions = [];
  for (let i = 0; i < count; i++) decisions.push(await buckets.consume(id, policy));
  return decisions;
}

async function storedItem(id: string) {
  return (await table.doc.send(new GetCommand({ TableName: table.name, Key: Keys.rateLimitBucket(id), ConsistentRead: true }))).Item;
}

describe('TokenBuckets', () => {
  afterEach(() => vi.restoreAllMocks());

  describe('consume', () => {
    it('admits exactly `limit` requests at once, then refuses with the time to the next token', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 5, periodSeconds: 60 }; // T = 12 s
      const id = bucket();

      const decisions = await consumeSequentially(buckets, id, policy, 7);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
      expect(decisions.map((d) => d.resetMs)).toEqual([12_000, 24_000, 36_000, 48_000, 60_000, 60_000, 60_000]);
      expect(decisions[4]!.retryAfterMs).toBe(12_000);
      expect(decisions[5]).toEqual({ allowed: false, limit: 5, remaining: 0, resetMs: 60_000, retryAfterMs: 12_000 });
    });

    it('refills one token per emission interval, not earlier', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 3, periodSeconds: 15 * 60 }; // T = 5 min
      const id = bucket();
      await consumeSequentially(buckets, id, policy, 3);

      clock.advance(5 * 60_000 - 1);
      const early = await buckets.consume(id, policy);
      expect(early.allowed).toBe(false);
      expect(early.retryAfterMs).toBe(1);

      clock.advance(1);
      expect((await buckets.consume(id, policy)).allowed).toBe(true);
      const next = await buckets.consume(id, policy);
      expect(next.allowed).toBe(false);
      expect(next.retryAfterMs).toBe(5 * 60_000);

      // Two intervals later exactly two more.
      clock.advance(10 * 60_000);
      expect((await consumeSequentially(buckets, id, policy, 3)).map((d) => d.allowed)).toEqual([true, true, false]);
    });

    it('does not let an idle bucket save up more than `limit` tokens', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 4, periodSeconds: 60 };
      const id = bucket();
      await buckets.consume(id, policy);

      clock.advance(24 * 3600_000);
      const decisions = await consumeSequentially(buckets, id, policy, 6);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, false, false]);
      expect(decisions[0]!.remaining).toBe(3);
    });

    it('keeps different subjects and different bucket names independent', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 2, periodSeconds: 60 };
      const subject = uniqueId();
      const a = bucketId('test', [subject]);
      const b = bucketId('test', [uniqueId()]);
      const c = bucketId('other', [subject]);
      await consumeSequentially(buckets, a, policy, 3);
      expect((await buckets.consume(a, policy)).allowed).toBe(false);
      expect((await consumeSequentially(buckets, b, policy, 2)).every((d) => d.allowed)).toBe(true);
      expect((await consumeSequentially(buckets, c, policy, 2)).every((d) => d.allowed)).toBe(true);
    });

    it('admits exactly 30 of 50 simultaneous requests against a bucket of 30, every time', async () => {
      const clock = manualClock();
      const policy = { limit: 30, periodSeconds: 60 };
      for (let round = 0; round < 3; round++) {
        const id = bucket();
        // Ten instances without hints, as ten cold Lambda instances would be.
        const instances = Array.from({ length: 10 }, () => new TokenBuckets({ table, now: clock.now, callTimeoutMs: CONTENDED_CALL_TIMEOUT_MS }));
        const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => instances[i % 10]!.consume(id, policy)));
        expect(decisions.filter((d) => d.allowed)).toHaveLength(30);
        expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterMs === 2_000)).toBe(true);
        expect((await storedItem(id))?.[TAT_ATTRIBUTE]).toBe(clock.now() + 60_000);
      }
    });

    it('admits exactly `limit` under a real clock and concurrency across instances', async () => {
      // Ten minutes per token: no refill can happen during the test however slow the machine is.
      const policy = { limit: 30, periodSeconds: 30 * 600 };
      const id = bucket();
      const instances = Array.from({ length: 5 }, () => new TokenBuckets({ table, callTimeoutMs: CONTENDED_CALL_TIMEOUT_MS }));
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => instances[i % 5]!.consume(id, policy)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(30);
    });

    it('needs one write per request in steady state and none to refuse a bucket it knows is empty', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 3, periodSeconds: 60 };
      const id = bucket();
      const send = vi.spyOn(table.doc, 'send');

      await consumeSequentially(buckets, id, policy, 3);
      expect(send).toHaveBeenCalledTimes(3);
      const refused = await buckets.consume(id, policy);
      expect(refused.allowed).toBe(false);
      expect(send).toHaveBeenCalledTimes(3);

      clock.advance(20_000);
      expect((await buckets.consume(id, policy)).allowed).toBe(true);
      expect(send).toHaveBeenCalledTimes(4);
    });

    it('never admits more than `limit` when an instance holds a stale hint', async () => {
      const clock = manualClock();
      const policy = { limit: 3, periodSeconds: 60 };
      const id = bucket();
      const a = new TokenBuckets({ table, now: clock.now });
      const b = new TokenBuckets({ table, now: clock.now });
      await a.consume(id, policy); // a remembers one token spent
      await consumeSequentially(b, id, policy, 2); // b empties the bucket behind a's back
      const send = vi.spyOn(table.doc, 'send');
      const late = await a.consume(id, policy);
      expect(late.allowed).toBe(false);
      expect(late.retryAfterMs).toBe(20_000);
      expect(send).toHaveBeenCalledTimes(1);
    });

    it('recovers from trying the wrong branch first: a cold instance on a busy bucket, a hinted one on a vanished bucket', async () => {
      const clock = manualClock();
      const policy = { limit: 3, periodSeconds: 60 };
      const id = bucket();
      await new TokenBuckets({ table, now: clock.now }).consume(id, policy);

      const cold = new TokenBuckets({ table, now: clock.now });
      const send = vi.spyOn(table.doc, 'send');
      const decision = await cold.consume(id, policy);
      expect(decision).toMatchObject({ allowed: true, remaining: 1 });
      expect(send).toHaveBeenCalledTimes(2);
      expect(send.mock.settledResults[0]?.type).toBe('rejected');
      expect(send.mock.settledResults[0]?.value).toBeInstanceOf(ConditionalCheckFailedException);

      // The item disappears (TTL, an operator); the hint says busy, the write learns otherwise.
      await table.doc.send(
        new UpdateCommand({ TableName: table.name, Key: Keys.rateLimitBucket(id), UpdateExpression: 'REMOVE #tat', ExpressionAttributeNames: { '#tat': TAT_ATTRIBUTE } }),
      );
      send.mockClear();
      expect(await cold.consume(id, policy)).toMatchObject({ allowed: true, remaining: 2 });
      expect(send).toHaveBeenCalledTimes(2);
    });

    it('retries a write cancelled by a transaction conflict and counts it once', async () => {
      const clock = manualClock();
      const buckets = new TokenBuckets({ table, now: clock.now });
      const policy = { limit: 3, periodSeconds: 60 };
      const id = bucket();
      const send = vi.spyOn(table.doc, 'send');
      send.mockRejectedValueOnce(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} }));

      expect(await buckets.consume(id, policy)).toMatchObject({ allowed: true, remaining: 2 });
      expect(send).toHaveBeenCalledTimes(2);
      expect((await storedItem(id))?.[TAT_ATTRIBUTE]).toBe(clock.now() + 20_000);
    });

    it(`gives up after ${MAX_ATTEMPTS} attempts rather than looping`, async () => {
      const buckets = new TokenBuckets({ table, now: manualClock().now });
      const send = vi.spyOn(table.doc, 'send');
      send.mockRejectedValue(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} }));
      await expect(buckets.consume(bucket(), { limit: 3, periodSeconds: 60 })).rejects.toBeInstanceOf(RateLimitStorageError);
      expect(send).toHaveBeenCalledTimes(MAX_ATTEMPTS);
    });

    it('reports unreachable storage as RateLimitStorageError', async () => {
      const port = await freePort();
      const dead = new Table({ tableName: table.name, clientConfig: { endpoint: `http://127.0.0.1:${port}`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 } });
      await expect(new TokenBuckets({ table: dead }).consume(bucket(), { limit: 3, periodSeconds: 60 })).rejects.toBeInstanceOf(RateLimitStorageError);
    });

    it('stores only the tat and a TTL that lies beyond the moment the bucket is full again', async () => {
      const clock = manualClock();
      const id = bucket();
      await consumeSequentially(new TokenBuckets({ table, now: clock.now }), id, { limit: 10, periodSeconds: 60 }, 10);
      const item = await storedItem(id);
      expect(Object.keys(item!).sort()).toEqual(['expiresAt', 'pk', 'sk', TAT_ATTRIBUTE].sort());
      expect(item!.pk).toBe(`RATE#${id}`);
      expect(item!.expiresAt * 1000).toBeGreaterThanOrEqual(item![TAT_ATTRIBUTE] + TTL_MARGIN_SECONDS * 1000);
    });

    it('refuses a policy that is not a positive whole number of requests and seconds', async () => {
      const buckets = new TokenBuckets({ table });
      for (const policy of [{ limit: 0, periodSeconds: 60 }, { limit: 1.5, periodSeconds: 60 }, { limit: 5, periodSeconds: 0 }, { limit: 5, periodSeconds: Number.NaN }]) {
        await expect(buckets.consume(bucket(), policy)).rejects.toBeInstanceOf(ConfigurationError);
      }
    });
  });
});

describe('consumeRateLimit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('throws rate_limited with Retry-After and the named bucket state once the bucket is empty', async () => {
    const clock = manualClock();
    const buckets = new TokenBuckets({ table, now: clock.now });
    const request = { ...NamedBuckets.loginByIpAndEmail, subject: ['203.0.113.7', `${uniqueId()}@example.com`] };
    for (let i = 0; i < 5; i++) await consumeRateLimit(table, request, { buckets });
    const refused = await consumeRateLimit(table, request, { buckets }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).code).toBe('rate_limited');
    expect((refused as RateLimitedError).statusCode).toBe(429);
    expect((refused as RateLimitedError).headers).toMatchObject({ 'Retry-After': '12', 'RateLimit-Limit': '5', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '60' });

    // Another email from the same address has its own bucket.
    await expect(consumeRateLimit(table, { ...request, subject: ['203.0.113.7', `${uniqueId()}@example.com`] }, { buckets })).resolves.toMatchObject({ allowed: true });
  });

  it('fails closed with 503 when storage cannot decide', async () => {
    vi.spyOn(table.doc, 'send').mockRejectedValue(new Error('socket hang up'));
    const error = await consumeRateLimit(table, { ...NamedBuckets.loginByIpAndEmail, subject: [uniqueId()] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });

  it('refuses a named bucket that would share a class bucket', async () => {
    await expect(consumeRateLimit(table, { name: 'auth', limit: 5, periodSeconds: 60, subject: [uniqueId()] })).rejects.toBeInstanceOf(ConfigurationError);
  });
});
