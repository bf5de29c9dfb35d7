import { assertBucketPolicy, type BucketPolicy } from './token-bucket';

/** The classes a route declares (`rateLimit`); each has one policy below. */
export const RateLimitClasses = ['auth', 'sensitive', 'reauth', 'general', 'action', 'upload'] as const;
export type RateLimitClass = (typeof RateLimitClasses)[number];

/**
 * Whom a class's bucket counts:
 * - `ip`: the client address, even when a principal is known (login, signup, refresh are aimed at
 *   accounts the caller does not hold, so the principal is no brake);
 * - `principal-or-ip`: the principal on authenticated routes, the client address on public ones;
 * - `principal-and-target`: as above, and separately per target (the route's path parameters);
 * - `principal-and-route`: as `principal-or-ip`, and separately per route, so that one operation's
 *   retries never spend another's budget.
 */
export type SubjectRule = 'ip' | 'principal-or-ip' | 'principal-and-target' | 'principal-and-route';

/**
 * What happens when the limiter cannot reach storage: `closed` refuses the request (503), `open`
 * admits it and logs a warning. Classes that guard credentials or costly actions fail closed.
 */
export type StorageFailurePolicy = 'open' | 'closed';

export interface RateLimitPolicy extends BucketPolicy {
  readonly subject: SubjectRule;
  readonly onStorageFailure: StorageFailurePolicy;
}

export type RateLimitPolicyTable = Readonly<Record<RateLimitClass, RateLimitPolicy>>;

/** The rate-limit classes routes declare (`rateLimit` in the route table); docs/rate-limiting.md explains each. */
export const RateLimitPolicies = {
  /** Login, signup, MFA, refresh: credential guessing and account creation from one address. */
  auth: { limit: 30, periodSeconds: 60, subject: 'ip', onStorageFailure: 'closed' },
  /** Password reset requests, verification resends, invitations: each sends mail to someone. */
  sensitive: { limit: 3, periodSeconds: 15 * 60, subject: 'principal-or-ip', onStorageFailure: 'closed' },
  /**
   * What a signed-in person confirms with their password or a code (two-factor enrolment,
   * activation and removal, password change, account deletion): ten tries of each operation per
   * person in 15 minutes, enough for honest retries and mistyped codes. Wrong codes are also
   * counted per account, with a lockout (docs/identity.md, "Second-factor lockout").
   */
  reauth: { limit: 10, periodSeconds: 15 * 60, subject: 'principal-and-route', onStorageFailure: 'closed' },
  /** Everything else. Failing open keeps the API up while the limiter's storage is impaired. */
  general: { limit: 600, periodSeconds: 60, subject: 'principal-or-ip', onStorageFailure: 'open' },
  /** Power actions (start, stop, restart, deploy) on one target. */
  action: { limit: 10, periodSeconds: 60, subject: 'principal-and-target', onStorageFailure: 'closed' },
  /** Uploads; storage and bandwidth are also bounded by the body limits and API Gateway throttling. */
  upload: { limit: 30, periodSeconds: 60, subject: 'principal-or-ip', onStorageFailure: 'open' },
} as const satisfies RateLimitPolicyTable;

/** A bucket that a route implementation consumes explicitly, next to its class's bucket. */
export interface NamedBucket extends BucketPolicy {
  /** The bucket's name in its key (`RATE#<name>:<subject hash>`); never one of the class names. */
  readonly name: string;
  /** What the 429 says there were too many of (`Too many …; retry in N seconds.`). @default 'Too many requests' */
  readonly refusal?: string;
}

/** Buckets consumed explicitly by route implementations (`consumeRateLimit`). */
export const NamedBuckets = {
  /**
   * Login attempts per client address and email (its keyed lookup hash): five guesses a minute
   * at one account from one address, however many accounts that address tries in total.
   */
  loginByIpAndEmail: { name: 'login-ip-email', limit: 5, periodSeconds: 60 },
  /**
   * Mails per address (its keyed lookup hash; verification, password reset, invitations, notices): the `sensitive`
   * class counts anonymous callers by IP, and invitations come from many organizations, so this keeps
   * many IPs or inviters from flooding one inbox.
   */
  mailByEmail: { name: 'mail-email', limit: 3, periodSeconds: 15 * 60, refusal: 'Too many mails to this address' },
  /** Organizations founded per user (their id): each holds a KMS-wrapped key and an audit chain of its own. */
  orgsByUser: { name: 'orgs-user', limit: 10, periodSeconds: 24 * 3600, refusal: 'Too many organizations created by this account today' },
  /**
   * Denied attempts recorded in an organization's audit chain, per principal and organization:
   * beyond it a denial is still refused and logged, but no longer recorded, so that a member cannot
   * flood the chain.
   */
  deniedAccessRecords: { name: 'denied-records', limit: 20, periodSeconds: 3600 },
} as const satisfies Record<string, NamedBucket>;

/** Checks a policy table; thrown at cold start by whoever builds a limiter from it. */
export function assertPolicyTable(policies: RateLimitPolicyTable): void {
  for (const [name, policy] of Object.entries(policies)) assertBucketPolicy(policy, `rate-limit class ${name}`);
}

assertPolicyTable(RateLimitPolicies);
