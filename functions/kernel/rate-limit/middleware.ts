import { ServiceUnavailableError } from '../errors';
import { setHeaders, sourceIpOf, type ApiMiddleware, type ApiRequest } from '../http/types';
import type { Table } from '../storage/table';
import { BucketExhaustedError, rateLimitHeaders } from './headers';
import { assertPolicyTable, RateLimitPolicies, type RateLimitPolicyTable, type SubjectRule } from './policies';
import { bucketId, ipSubject, principalSubject, targetSubject } from './subjects';
import { TokenBuckets } from './token-bucket';

export interface RateLimitOptions {
  /** The table the buckets live in, read per request (the platform is installed after start-up). */
  readonly table: () => Table;
  /** @default RateLimitPolicies */
  readonly policies?: RateLimitPolicyTable;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const defaults = {
  policies: RateLimitPolicies,
  now: () => Date.now(),
} as const;

/**
 * Consumes one token of the route's rate-limit class before the body is parsed, and puts the
 * bucket's state on the response (`RateLimit-*`, `X-RateLimit-*`), errors included. An empty bucket
 * is a 429 with `Retry-After`. Runs after authentication: the principal, when the route has one,
 * names the bucket; otherwise the client address does.
 */
export const rateLimit = (opts: RateLimitOptions): ApiMiddleware => {
  const o = { ...defaults, ...opts };
  assertPolicyTable(o.policies);
  // One store per table for this instance's lifetime, so its branch hints persist across requests.
  const stores = new WeakMap<Table, TokenBuckets>();
  const bucketsOf = (table: Table) => {
    let buckets = stores.get(table);
    if (!buckets) stores.set(table, (buckets = new TokenBuckets({ table, now: o.now })));
    return buckets;
  };

  const subjectOf = (rule: SubjectRule, request: ApiRequest, routeId: string): string[] => {
    const ip = ipSubject(sourceIpOf(request.event));
    const principal = request.internal.principal;
    const caller = principal ? principalSubject(principal) : ip;
    switch (rule) {
      case 'ip':
        return ip;
      case 'principal-or-ip':
        return caller;
      case 'principal-and-target':
        return [...caller, ...targetSubject(request.event.pathParameters)];
      case 'principal-and-route':
        return [...caller, 'route', routeId];
    }
  };

  const before = async (request: ApiRequest) => {
    const route = request.internal.route;
    if (!route) throw new Error('rate limiting runs after route resolution');
    const policy = o.policies[route.rateLimit];
    const id = bucketId(route.rateLimit, subjectOf(policy.subject, request, route.id));
    let decision;
    try {
      decision = await bucketsOf(o.table()).consume(id, policy);
    } catch (error) {
      if (policy.onStorageFailure === 'closed') throw new ServiceUnavailableError('Rate limiting is temporarily unavailable; retry shortly.', error);
      request.internal.logger?.warn('Rate limiter unavailable; request admitted (fails open)', { rateLimitClass: route.rateLimit, error });
      return;
    }
    request.internal.responseHeaders = { ...request.internal.responseHeaders, ...rateLimitHeaders(decision) };
    if (!decision.allowed) throw new BucketExhaustedError(decision);
  };

  // Errors get these headers from the error renderer (see ApiState.responseHeaders): this
  // middleware sits after it, so an onError hook here would run before any error response exists.
  const after = (request: ApiRequest) => {
    if (request.internal.responseHeaders) setHeaders(request, request.internal.responseHeaders);
  };

  return { before, after };
};
