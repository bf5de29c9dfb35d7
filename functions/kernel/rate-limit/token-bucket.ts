import { ConfigurationError } from '../errors';
import { Conditions, type Changes, type Condition } from '../storage/conditions';
import { Keys } from '../storage/keys';
import { TransactionConflictError, type Table } from '../storage/table';
import { TableDefinition } from '../storage/table-definition';

/** A bucket's shape: a burst of up to `limit` requests, refilled at `limit` per `periodSeconds`. */
export interface BucketPolicy {
  readonly limit: number;
  readonly periodSeconds: number;
}

/** The outcome of one consume: whether the request may proceed, and the bucket's state after it. */
export interface BucketDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests that would still be admitted right now, after this one. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again if no further request arrives. */
  readonly resetMs: number;
  /** Milliseconds until the next request would be admitted; 0 while tokens remain. */
  readonly retryAfterMs: number;
}

/** No decision could be read from storage: the caller applies its failure policy (open or closed). */
export class RateLimitStorageError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RateLimitStorageError';
  }
}

/** The bucket item's one state attribute: the theoretical arrival time, epoch milliseconds. */
export const TAT_ATTRIBUTE = 'tat';

/**
 * Attempts per consume. A decision needs at most three writes (the wrong branch, the right one, and
 * once more if TTL removed the item in between); the fourth absorbs a `TransactionConflict`.
 */
export const MAX_ATTEMPTS = 4;
/** Per-instance branch hints kept; the oldest is forgotten first. Hints are an optimisation only. */
export const HINT_CAPACITY = 10_000;
/**
 * Bounds one storage call, so that a hung connection becomes the failure policy's answer well
 * within API Gateway's 29 s; generous against DynamoDB's milliseconds, even on a contended item.
 */
export const CALL_TIMEOUT_MS = 3_000;
/** TTL lies this far beyond the moment the bucket is full again: DynamoDB's clock is not ours. */
export const TTL_MARGIN_SECONDS = 60;

const MAX_LIMIT = 1_000_000;
const MAX_PERIOD_SECONDS = 7 * 24 * 3600;

type Branch = 'busy' | 'idle';

/**
 * The two conditional writes of GCRA. DynamoDB expressions have no max(), so
 * `tat := max(tat, now) + T` is split into two branches whose conditions are disjoint and together
 * cover every admissible state; each is exact on its own because the condition and the update are
 * one atomic step on the item.
 */
function branchWrite(branch: Branch, v: { now: number; interval: number; latestTat: number; expiresAt: number }): { changes: Changes; when: Condition } {
  const ttl = { [TableDefinition.ttlAttribute]: v.expiresAt };
  // Tokens were spent recently (tat ≥ now) and at least one is left: spend one more.
  if (branch === 'busy') return { changes: { add: { [TAT_ATTRIBUTE]: v.interval }, set: ttl }, when: Conditions.attributeBetween(TAT_ATTRIBUTE, v.now, v.latestTat) };
  // The bucket is new, or full because it has been idle (tat < now): start a fresh burst.
  return {
    changes: { set: { [TAT_ATTRIBUTE]: v.now + v.interval, ...ttl } },
    when: Conditions.any(Conditions.attributeAbsent(TAT_ATTRIBUTE), Conditions.attributeBelow(TAT_ATTRIBUTE, v.now)),
  };
}

/** Checks a policy; a bad one is a programming mistake, not a client error. */
export function assertBucketPolicy(policy: BucketPolicy, where: string): void {
  const { limit, periodSeconds } = policy;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ConfigurationError(`${where}: limit must be an integer in 1..${MAX_LIMIT}`);
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds < 1 || periodSeconds > MAX_PERIOD_SECONDS) {
    throw new ConfigurationError(`${where}: periodSeconds must be an integer in 1..${MAX_PERIOD_SECONDS}`);
  }
}

/**
 * The emission interval T in whole milliseconds (rounded up, so a bucket never refills faster than
 * its policy says). All arithmetic stays in integers: DynamoDB adds exactly what JavaScript computes.
 */
export const emissionIntervalMs = (policy: BucketPolicy): number => Math.ceil((policy.periodSeconds * 1000) / policy.limit);

export interface TokenBucketsOptions {
  readonly table: Table;
  /** Injectable clock (epoch ms) for tests. */
  readonly now?: () => number;
  readonly hintCapacity?: number;
  /** @default CALL_TIMEOUT_MS */
  readonly callTimeoutMs?: number;
}

/**
 * Token buckets stored in DynamoDB, one item per bucket, decided by GCRA (generic cell rate
 * algorithm): the item holds only the theoretical arrival time `tat`. With T = period / limit, a
 * request at `now` is admitted iff max(tat, now) + T − now ≤ limit·T, and then tat := max(tat, now) + T.
 * This is a token bucket of capacity `limit` refilled by one token every T.
 *
 * Why this design: the decision and the update are one conditional UpdateItem (one write unit in
 * steady state), exact under any concurrency because DynamoDB evaluates the condition and applies
 * the update atomically per item, with no read-modify-write window and no per-instance counters.
 *
 * Each instance remembers the last `tat` it saw per bucket. That hint only picks the branch to try
 * first, plus one safe shortcut: `tat` never decreases (both branches raise it, and TTL removes an
 * item only after it is full), so a bucket whose remembered `tat` already shows it empty is empty
 * now and is refused without a storage call. Admissions always go through the conditional write,
 * so a stale or missing hint costs at most an extra write, never a wrong admission.
 */
export class TokenBuckets {
  private readonly table: Table;
  private readonly now: () => number;
  private readonly hintCapacity: number;
  private readonly callTimeoutMs: number;
  private readonly hints = new Map<string, number>();

  constructor(options: TokenBucketsOptions) {
    this.table = options.table;
    this.now = options.now ?? (() => Date.now());
    this.hintCapacity = options.hintCapacity ?? HINT_CAPACITY;
    this.callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  }

  /**
   * Takes one token from the bucket `bucketId` (a key part; see `bucketId()`), or refuses.
   * Throws `RateLimitStorageError` when storage gives no answer within `MAX_ATTEMPTS` calls.
   */
  async consume(bucketId: string, policy: BucketPolicy): Promise<BucketDecision> {
    assertBucketPolicy(policy, `bucket ${bucketId}`);
    const now = this.now();
    const interval = emissionIntervalMs(policy);
    const capacityMs = interval * policy.limit;
    // The largest tat that still leaves a token: max(tat, now) + T − now ≤ limit·T.
    const latestTat = now + capacityMs - interval;
    const state = (tat: number, allowed: boolean): BucketDecision => ({
      allowed,
      limit: policy.limit,
      remaining: allowed ? Math.max(0, Math.floor((now + capacityMs - tat) / interval)) : 0,
      resetMs: Math.max(0, tat - now),
      retryAfterMs: Math.max(0, tat - latestTat),
    });

    const hinted = this.hints.get(bucketId);
    if (hinted !== undefined && hinted > latestTat) return state(hinted, false);
    let branch: Branch = hinted !== undefined && hinted >= now ? 'busy' : 'idle';
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let outcome;
      try {
        const { changes, when } = branchWrite(branch, { now, interval, latestTat, expiresAt: Math.ceil((now + capacityMs) / 1000) + TTL_MARGIN_SECONDS });
        outcome = await this.table.updateItem(Keys.rateLimitBucket(bucketId), changes, { when, abortSignal: AbortSignal.timeout(this.callTimeoutMs) });
      } catch (error) {
        // Another transaction held the item; nothing was written, the same write may be retried.
        if (error instanceof TransactionConflictError) {
          lastError = error;
          continue;
        }
        throw new RateLimitStorageError('the rate-limit bucket could not be updated', error);
      }
      if ('updated' in outcome) {
        const tat = outcome.updated[TAT_ATTRIBUTE];
        if (typeof tat !== 'number') throw new RateLimitStorageError('the bucket update returned no tat');
        this.remember(bucketId, tat);
        return state(tat, true);
      }
      // The item as it was when the condition failed, read in the same atomic step.
      const stored = storedTat(outcome.stored);
      if (stored !== undefined && stored > latestTat) {
        this.remember(bucketId, stored);
        return state(stored, false);
      }
      branch = stored !== undefined && stored >= now ? 'busy' : 'idle';
      lastError = new Error('the bucket changed between attempts');
    }
    throw new RateLimitStorageError(`no rate-limit decision after ${MAX_ATTEMPTS} attempts`, lastError);
  }

  private remember(bucketId: string, tat: number): void {
    this.hints.delete(bucketId);
    if (this.hints.size >= this.hintCapacity) this.hints.delete(this.hints.keys().next().value!);
    this.hints.set(bucketId, tat);
  }
}

/**
 * The `tat` of the item returned with a failed condition. The document client does not unmarshall
 * that item, so it arrives in the wire format (`{ N: "…" }`); a missing item or attribute is `undefined`.
 */
function storedTat(item: unknown): number | undefined {
  const attribute = (item as Record<string, unknown> | undefined)?.[TAT_ATTRIBUTE];
  const raw = typeof attribute === 'object' && attribute !== null && 'N' in attribute ? (attribute as { N: unknown }).N : attribute;
  const tat = typeof raw === 'string' ? Number(raw) : raw;
  return typeof tat === 'number' && Number.isFinite(tat) ? tat : undefined;
}

const shared = new WeakMap<Table, TokenBuckets>();

/** The process-wide buckets of a table (real clock), so every caller in an instance shares its hints. */
export function tokenBucketsFor(table: Table): TokenBuckets {
  let buckets = shared.get(table);
  if (!buckets) shared.set(table, (buckets = new TokenBuckets({ table })));
  return buckets;
}
