import { ConfigurationError, ServiceUnavailableError } from '../errors';
import type { Table } from '../storage/table';
import { BucketExhaustedError } from './headers';
import { RateLimitPolicies, type NamedBucket } from './policies';
import { bucketId } from './subjects';
import { tokenBucketsFor, type BucketDecision, type TokenBuckets } from './token-bucket';

export interface ConsumeRateLimitRequest extends NamedBucket {
  /**
   * Who the bucket counts, as parts (normalise them first). They are hashed into the key and never
   * stored, but with a plain SHA-256 that anyone can recompute: an email address goes in as its keyed
   * lookup hash (`platform.emailIndex.lookupHash`), so a bucket key cannot confirm a guessed address.
   */
  readonly subject: readonly string[];
}

/**
 * Takes one token from a named bucket, beside the route's class bucket the pipeline already
 * consumed. Throws a `RateLimitedError` (429 with `Retry-After`, this bucket's `RateLimit-*`
 * headers and its `refusal` as the message) when the bucket is empty. Fails closed: a named bucket guards credentials, so when storage
 * cannot decide the request is refused with a 503. Returns the bucket's state otherwise.
 *
 * @example
 * // In the login route, before the password is checked:
 * await consumeRateLimit(platform.table, { ...NamedBuckets.loginByIpAndEmail, subject: [clientAddress(sourceIp), await platform.emailIndex.lookupHash(email)] });
 */
export async function consumeRateLimit(
  table: Table,
  request: ConsumeRateLimitRequest,
  /** `buckets`: injectable (a clock for tests); defaults to the table's shared buckets. */
  options: { buckets?: TokenBuckets } = {},
): Promise<BucketDecision> {
  if (Object.hasOwn(RateLimitPolicies, request.name)) {
    throw new ConfigurationError(`named bucket ${request.name} would share the ${request.name} class's bucket; choose another name`);
  }
  const id = bucketId(request.name, request.subject);
  const buckets = options.buckets ?? tokenBucketsFor(table);
  let decision: BucketDecision;
  try {
    decision = await buckets.consume(id, request);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ServiceUnavailableError('Rate limiting is temporarily unavailable; retry shortly.', error);
  }
  if (!decision.allowed) throw new BucketExhaustedError(decision, request.refusal);
  return decision;
}
