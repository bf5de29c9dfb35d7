import { keyPart, KeyPrefix } from '../storage/keys';

declare const orgScopeBrand: unique symbol;

/**
 * Proof that the caller was authorized for one organization. Every key of tenant data is built
 * from an `OrgScope`, never from a bare id, so code that has not been through the authorization
 * chain cannot even name another tenant's items: forgetting the check is a type error.
 */
export interface OrgScope {
  readonly orgId: string;
  readonly [orgScopeBrand]: true;
}

/**
 * Mints the proof. Only the authorization chain (`requireOrg`) and code acting for the platform
 * itself (org creation, background jobs keyed by an org they were handed) may call this; a test
 * keeps every other module from importing it.
 */
export function mintOrgScope(orgId: string): OrgScope {
  return Object.freeze({ orgId: keyPart(orgId) }) as OrgScope;
}

/** The partition key of everything an organization owns: `ORG#<orgId>`. */
export const orgPartition = (scope: OrgScope): string => `${KeyPrefix.org}${scope.orgId}`;

/** A sort key under the organization's partition, e.g. `orgItemKey(scope, 'PROJECT', projectId)`. */
export function orgItemKey(scope: OrgScope, ...parts: string[]): { pk: string; sk: string } {
  return { pk: orgPartition(scope), sk: parts.map(keyPart).join('#') };
}

/** Keys of tenant entities, all under the organization's partition: one GetItem proves ownership. */
export const TenantKeys = {
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
} as const;

/** The service part of the keys of project-level environment variables (never a service id). */
const ENV_PROJECT_LEVEL = '-';

/** The sort-key prefix of an organization's API keys, for listing them. */
export const API_KEY_SORT_PREFIX = 'APIKEY#';

/** Sort-key prefixes of the tenant list patterns, built like the keys above. */
export const TenantKeyPrefixes = {
  projects: () => 'PROJECT#',
  servicesOfProject: (projectId: string) => `SERVICE#${keyPart(projectId)}#`,
  /** The environment variables of a project (`serviceId` undefined) or of one of its services. */
  envVars: (projectId: string, serviceId: string | undefined) => `ENV#${keyPart(projectId)}#${keyPart(serviceId ?? ENV_PROJECT_LEVEL)}#`,
  /** Every environment variable of the organization, at every level (for re-sealing after a key rotation). */
  allEnvVars: () => 'ENV#',
} as const;
