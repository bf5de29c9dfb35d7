import type { OrgScope } from '../auth/org-scope';
import { TableDefinition } from './table-definition';

/**
 * The key space of the single table, in one place: every item key, every listing (a partition and
 * the sort-key prefix or range that selects one entity in it) and every index template. Domain code
 * names these; it never types a key, a prefix or an index attribute itself. Keeping them together
 * lets one test check that no listing picks up another entity's items (`PROJECTNAME#` must not
 * begin with `PROJECT#`), and docs/data-model.md lists the same patterns.
 */

export type ItemKey = { pk: string; sk: string };

export const KeyPrefix = {
  /** Audit records: `AUDIT#<scope>` / `SEQ#<seq>`. IAM denies UpdateItem/DeleteItem on it. */
  audit: 'AUDIT#',
  /** Audit chain heads: a separate prefix so the head can be updated while records cannot. */
  auditHead: 'AUDITHEAD#',
  platform: 'PLATFORM#',
  org: 'ORG#',
  user: 'USER#',
  /** API-key lookup items: `APIKEY#<keyId>` / `KEY`, read by the authenticator on every request. */
  apiKey: 'APIKEY#',
} as const;

/** Fixed width so that lexical sort order equals numeric order (12 digits: a trillion records). */
export const SEQ_WIDTH = 12;

export const padSeq = (seq: number): string => String(seq).padStart(SEQ_WIDTH, '0');

/**
 * Characters that would let one id reach into another's key space. Up to 255 characters: the
 * longest part is an environment variable name (at most 255); a sort key holds 1 KiB.
 */
const KEY_PART = /^[A-Za-z0-9:._@+-]{1,255}$/;

/** Refuses key parts that contain the separator or are empty: ids come from validated input, but keys must not trust that. */
export function keyPart(value: string): string {
  if (!KEY_PART.test(value)) throw new TypeError('invalid key part');
  return value;
}

/** The partition key of everything an organization owns: `ORG#<orgId>`. */
export const orgPartition = (scope: OrgScope): string => `${KeyPrefix.org}${keyPart(scope.orgId)}`;

/** A sort key under the organization's partition, e.g. `orgItemKey(scope, 'PROJECT', projectId)`. */
export function orgItemKey(scope: OrgScope, ...parts: string[]): ItemKey {
  return { pk: orgPartition(scope), sk: parts.map(keyPart).join('#') };
}

const userPartition = (userId: string) => `${KeyPrefix.user}${keyPart(userId)}`;
const auditPartition = (scope: string) => `${KeyPrefix.audit}${keyPart(scope)}`;
const auditByActionPartition = (scope: string, action: string) => `${auditPartition(scope)}#ACTION#${keyPart(action)}`;
const signingKeysPartition = `${KeyPrefix.platform}signing-keys`;

/** The service part of the keys of project-level environment variables (never a service id). */
const ENV_PROJECT_LEVEL = '-';

/** Where an environment variable lives: a project (no service) or one of its services. */
export interface EnvOwnerKey {
  readonly projectId: string;
  readonly serviceId?: string | undefined;
}

/** Every item key of the table. */
export const Keys = {
  // Audit (kernel/audit): records by sequence number, one head per chain.
  auditRecord: (scope: string, seq: number): ItemKey => ({ pk: auditPartition(scope), sk: `SEQ#${padSeq(seq)}` }),
  auditHead: (scope: string): ItemKey => ({ pk: `${KeyPrefix.auditHead}${keyPart(scope)}`, sk: 'HEAD' }),
  auditPartition: auditPartition,
  /** The by-action index's partition of a chain (gsi1). */
  auditByAction: auditByActionPartition,
  healthProbe: (): ItemKey => ({ pk: `${KeyPrefix.platform}health`, sk: 'PROBE' }),

  // Access-token signing keys: one item per key, one pointer to the key that signs now.
  signingKeysPartition: () => signingKeysPartition,
  signingKey: (kid: string): ItemKey => ({ pk: signingKeysPartition, sk: `KEY#${keyPart(kid)}` }),
  activeSigningKey: (): ItemKey => ({ pk: signingKeysPartition, sk: 'ACTIVE' }),
  /** The email index key, wrapped by the PII key: the key of every address's lookup hash (one item). */
  emailIndexKey: (): ItemKey => ({ pk: `${KeyPrefix.platform}email-index`, sk: 'KEY' }),

  // Identity. Users are their own partition; lookups by secret-derived values use the SHA-256 of
  // that value, and by address its keyed lookup hash (`EmailIndex`), so neither tokens nor email
  // addresses appear in keys.
  user: (userId: string): ItemKey => ({ pk: userPartition(userId), sk: 'PROFILE' }),
  userPartition,
  /** The claim of an address, by its lookup hash (HMAC under the email index key, `EmailIndex.lookupHash`). */
  userByEmail: (emailHash: string): ItemKey => ({ pk: `EMAIL#${keyPart(emailHash)}`, sk: 'USER' }),
  session: (userId: string, sessionId: string): ItemKey => ({ pk: userPartition(userId), sk: `SESSION#${keyPart(sessionId)}` }),
  refreshToken: (tokenHash: string): ItemKey => ({ pk: `REFRESH#${keyPart(tokenHash)}`, sk: 'TOKEN' }),
  oneTimeToken: (purpose: 'verify-email' | 'password-reset' | 'mfa-login', tokenHash: string): ItemKey => ({
    pk: `OTT#${purpose}#${keyPart(tokenHash)}`,
    sk: 'TOKEN',
  }),
  totp: (userId: string): ItemKey => ({ pk: userPartition(userId), sk: 'MFA#TOTP' }),
  /** Wrong second-factor codes given for a user, and the lockout they earned (`MFA#FAILURES`). */
  secondFactorFailures: (userId: string): ItemKey => ({ pk: userPartition(userId), sk: 'MFA#FAILURES' }),
  /**
   * What a public identity request (signup, a failed login, a verification or reset request) left
   * for the identity consumer to do off the response path (`DEFERRED#<workId>` / `WORK`).
   */
  deferredWork: (workId: string): ItemKey => ({ pk: `DEFERRED#${keyPart(workId)}`, sk: 'WORK' }),
  /** A user's data key, wrapped by the PII key: it seals the user's personal data; deleting it shreds them. */
  userDataKey: (userId: string): ItemKey => ({ pk: userPartition(userId), sk: 'DATAKEY' }),
  // API keys: the item authentication reads, found by the public key id (never by the secret).
  apiKeyLookup: (keyId: string): ItemKey => ({ pk: `${KeyPrefix.apiKey}${keyPart(keyId)}`, sk: 'KEY' }),
  rateLimitBucket: (bucket: string): ItemKey => ({ pk: `RATE#${keyPart(bucket)}`, sk: 'BUCKET' }),
  /** An invitation's token, by the SHA-256 of the token: how an invitee's link finds it. */
  invitationToken: (tokenHash: string): ItemKey => ({ pk: `INVITE#${keyPart(tokenHash)}`, sk: 'TOKEN' }),

  // Tenant entities, all under the organization's partition: one GetItem proves ownership.
  org: (scope: OrgScope) => orgItemKey(scope, 'ORG'),
  member: (scope: OrgScope, userId: string) => orgItemKey(scope, 'MEMBER', userId),
  invitation: (scope: OrgScope, invitationId: string) => orgItemKey(scope, 'INVITE', invitationId),
  project: (scope: OrgScope, projectId: string) => orgItemKey(scope, 'PROJECT', projectId),
  /** Services sort under their project (`SERVICE#<projectId>#<serviceId>`), apart from projects. */
  service: (scope: OrgScope, projectId: string, serviceId: string) => orgItemKey(scope, 'SERVICE', projectId, serviceId),
  /** The listing record of an API key (its secret hash lives only on the lookup item, `Keys.apiKeyLookup`). */
  apiKey: (scope: OrgScope, keyId: string) => orgItemKey(scope, 'APIKEY', keyId),
  /**
   * A project's claim on its name (`PROJECTNAME#<name>`), written in the transaction that creates or
   * renames the project: a second project of the same name fails on it. `PROJECTNAME#` does not
   * begin with `PROJECT#`, so claims never show up in the project listing.
   */
  projectName: (scope: OrgScope, name: string) => orgItemKey(scope, 'PROJECTNAME', name),
  /** A service's claim on its name within its project (`SERVICENAME#<projectId>#<name>`): names become host names. */
  serviceName: (scope: OrgScope, projectId: string, name: string) => orgItemKey(scope, 'SERVICENAME', projectId, name),
  /**
   * An environment variable (`ENV#<projectId>#<serviceId, or - at project level>#<name>`): one item
   * per variable, holding its sealed value.
   */
  envVar: (scope: OrgScope, projectId: string, serviceId: string | undefined, name: string) => orgItemKey(scope, 'ENV', projectId, serviceId ?? ENV_PROJECT_LEVEL, name),
  /**
   * How many variables a project or service holds (`ENVCOUNT#<projectId>#<serviceId or ->`), kept
   * in the transactions that add or remove one so that the limit holds under concurrency.
   * `ENVCOUNT#` does not begin with `ENV#`, so counters never show up in a listing.
   */
  envCount: (scope: OrgScope, projectId: string, serviceId: string | undefined) => orgItemKey(scope, 'ENVCOUNT', projectId, serviceId ?? ENV_PROJECT_LEVEL),
  /** The organization's latest key rotation and the progress of its re-seal. */
  keyRotation: (scope: OrgScope) => orgItemKey(scope, 'KEYROTATION'),
  /** A deployment of a service (`DEPLOY#<projectId>#<serviceId>#<deploymentId>`): ids are time-ordered, so the listing is chronological. */
  deployment: (scope: OrgScope, projectId: string, serviceId: string, deploymentId: string) => orgItemKey(scope, 'DEPLOY', projectId, serviceId, deploymentId),
  /**
   * The one deployment running for a service (`DEPLOYLOCK#<projectId>#<serviceId>`), taken in the
   * transaction that creates a deployment and released when it ends. `DEPLOYLOCK#` does not begin
   * with `DEPLOY#`, so locks never show up in a listing.
   */
  deploymentLock: (scope: OrgScope, projectId: string, serviceId: string) => orgItemKey(scope, 'DEPLOYLOCK', projectId, serviceId),
} as const;

export type IndexName = keyof typeof TableDefinition.indexes;

/**
 * One access pattern: the items of `partition` (of the table, or of `index`) whose sort key begins
 * with `sortKeyPrefix`. A cursor presented to it is checked against the same partition and prefix.
 */
export interface Listing {
  readonly partition: string;
  readonly sortKeyPrefix?: string;
  readonly index?: IndexName;
}

/** Every listing of the table (docs/data-model.md numbers them as access patterns). */
export const Listings = {
  signingKeys: (): Listing => ({ partition: signingKeysPartition, sortKeyPrefix: 'KEY#' }),
  sessionsOfUser: (userId: string): Listing => ({ partition: userPartition(userId), sortKeyPrefix: 'SESSION#' }),
  auditRecords: (scope: string): Listing => ({ partition: auditPartition(scope), sortKeyPrefix: 'SEQ#' }),
  /** Through gsi1: one action's records of a chain, in sequence order. */
  auditRecordsByAction: (scope: string, action: string): Listing => ({ partition: auditByActionPartition(scope, action), sortKeyPrefix: 'SEQ#', index: 'gsi1' }),
  /** Everything an organization owns (to delete it once its projects are gone). */
  orgItems: (scope: OrgScope): Listing => ({ partition: orgPartition(scope) }),
  membersOfOrg: (scope: OrgScope): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: 'MEMBER#' }),
  /** Through gsi1 (eventually consistent): the memberships of a user, one per organization. */
  membershipsOfUser: (userId: string): Listing => ({ partition: userPartition(userId), sortKeyPrefix: KeyPrefix.org, index: 'gsi1' }),
  invitationsOfOrg: (scope: OrgScope): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: 'INVITE#' }),
  apiKeysOfOrg: (scope: OrgScope): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: 'APIKEY#' }),
  projectsOfOrg: (scope: OrgScope): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: 'PROJECT#' }),
  servicesOfProject: (scope: OrgScope, projectId: string): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: `SERVICE#${keyPart(projectId)}#` }),
  /** The variables of a project (project level) or of one of its services. */
  envVarsOf: (scope: OrgScope, owner: EnvOwnerKey): Listing => ({
    partition: orgPartition(scope),
    sortKeyPrefix: `ENV#${keyPart(owner.projectId)}#${keyPart(owner.serviceId ?? ENV_PROJECT_LEVEL)}#`,
  }),
  /** A service's deployments, oldest first by their time-ordered ids (read newest first). */
  deploymentsOfService: (scope: OrgScope, projectId: string, serviceId: string): Listing => ({
    partition: orgPartition(scope),
    sortKeyPrefix: `DEPLOY#${keyPart(projectId)}#${keyPart(serviceId)}#`,
  }),
  /** Every environment variable of the organization, at every level (for re-sealing after a key rotation). */
  envVarsOfOrg: (scope: OrgScope): Listing => ({ partition: orgPartition(scope), sortKeyPrefix: 'ENV#' }),
} as const;

const gsi1 = TableDefinition.indexes.gsi1;

/** The index attributes items carry, per entity that is found through an index. */
export const IndexKeys = {
  /** A membership is listed under its user (`USER#<userId>` / `ORG#<orgId>`). */
  membershipOfUser: (scope: OrgScope, userId: string) => ({ [gsi1.partitionKey]: userPartition(userId), [gsi1.sortKey]: orgPartition(scope) }),
  /** An audit record is listed under its scope and action, in sequence order. */
  auditRecordByAction: (scope: string, action: string, seq: number) => ({
    [gsi1.partitionKey]: auditByActionPartition(scope, action),
    [gsi1.sortKey]: Keys.auditRecord(scope, seq).sk,
  }),
} as const;
