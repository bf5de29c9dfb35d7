import { z } from 'zod';
import { generateApiKey } from '../kernel/auth/api-key-credentials';
import type { ApiKeyLookupRecord } from '../kernel/auth/api-key-records';
import { type OrgScope } from '../kernel/auth/org-scope';
import { Keys as TenantKeys, Listings, orgPartition } from '../kernel/storage/keys';
import { Roles, type Role } from '../kernel/auth/permissions';
import { NotFoundError } from '../kernel/errors';
import { TableDefinition } from '../kernel/storage/table-definition';
import { Keys } from '../kernel/storage/keys';
import { Conditions } from '../kernel/storage/conditions';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { type Table } from '../kernel/storage/table';

/** The longest an API key may live: a key that must outlive this is a key nobody reviews. */
export const API_KEY_MAX_LIFETIME_MS = 366 * 24 * 3600 * 1000;

/** How long a revoked key's lookup item stays (TTL) so that later uses of it are still refused as revoked. */
const REVOKED_LOOKUP_RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * An API key's listing record, at `ORG#<orgId>` / `APIKEY#<keyId>`: what the organization sees of
 * the key. Neither the secret nor its hash is ever here.
 */
export const ApiKeyRecord = z.object({
  keyId: z.string(),
  orgId: z.string(),
  name: z.string(),
  role: z.enum(Roles),
  projectIds: z.array(z.string()).optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  /** Epoch seconds (the table's TTL attribute). */
  expiresAt: z.number().optional(),
  lastUsedAt: z.string().optional(),
});
export type ApiKeyRecord = z.output<typeof ApiKeyRecord>;

/** Rounded down to the minute: the listing says roughly when, not a per-request trace. */
const toMinute = (iso: string): string => `${iso.slice(0, 16)}:00.000Z`;

export const ApiKeyView = z.object({
  keyId: z.string(),
  name: z.string(),
  role: z.enum(Roles),
  projectIds: z.array(z.string()).optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  lastUsedAt: z.string().optional(),
});

export const apiKeyView = (k: ApiKeyRecord): z.output<typeof ApiKeyView> => ({
  keyId: k.keyId,
  name: k.name,
  role: k.role,
  ...(k.projectIds ? { projectIds: k.projectIds } : {}),
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  ...(k.expiresAt !== undefined ? { expiresAt: new Date(k.expiresAt * 1000).toISOString() } : {}),
  ...(k.lastUsedAt ? { lastUsedAt: toMinute(k.lastUsedAt) } : {}),
});

export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly projectIds?: readonly string[];
  readonly expiresAt?: Date;
  readonly createdBy: string;
}

/**
 * A new key: the string to show once, its listing record, and the two writes (listing record and
 * lookup item) to commit with the audit record. Only the SHA-256 of the secret is stored.
 */
export function createApiKeyWrites(scope: OrgScope, input: NewApiKey, now: Date): { key: string; record: ApiKeyRecord; writes: TransactWrite[] } {
  const { keyId, key, secretHash } = generateApiKey();
  const expiresAt = input.expiresAt ? Math.floor(input.expiresAt.getTime() / 1000) : undefined;
  const projectIds = input.projectIds ? [...input.projectIds] : undefined;
  const record: ApiKeyRecord = {
    keyId,
    orgId: scope.orgId,
    name: input.name,
    role: input.role,
    ...(projectIds ? { projectIds } : {}),
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
  const lookup: ApiKeyLookupRecord = {
    keyId,
    orgId: scope.orgId,
    secretHash,
    role: input.role,
    ...(projectIds ? { projectIds } : {}),
    createdBy: input.createdBy,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    revoked: false,
  };
  return {
    key,
    record,
    writes: [Writes.put({ ...TenantKeys.apiKey(scope, keyId), ...record }, Conditions.notExists), Writes.put({ ...Keys.apiKeyLookup(keyId), ...lookup }, Conditions.notExists)],
  };
}

export async function getApiKey(table: Table, scope: OrgScope, keyId: string): Promise<ApiKeyRecord | undefined> {
  return table.get(TenantKeys.apiKey(scope, keyId), ApiKeyRecord, { consistent: true });
}

/** The organization's API keys, oldest first. */
export async function listApiKeys(table: Table, scope: OrgScope): Promise<ApiKeyRecord[]> {
  const out: ApiKeyRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ schema: ApiKeyRecord, partition: orgPartition(scope), sortKeyPrefix: Listings.apiKeysOfOrg(scope).sortKeyPrefix!, consistent: true, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

/**
 * Revocation: the lookup item is marked revoked (authentication reads it on every request, so the
 * next request is refused) and kept a while; the listing record goes. The lookup item must still
 * belong to this organization (a condition, not a trust in the listing record).
 */
export function revokeApiKeyWrites(scope: OrgScope, keyId: string, now: Date): TransactWrite[] {
  const gone = () => new NotFoundError('No such API key.');
  return [
    Writes.delete(TenantKeys.apiKey(scope, keyId), Conditions.exists, gone),
    {
      item: {
        Update: {
          TableName: '',
          Key: Keys.apiKeyLookup(keyId),
          UpdateExpression: 'SET #revoked = :true, #revokedAt = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#pk) AND #orgId = :orgId',
          ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey, '#revoked': 'revoked', '#revokedAt': 'revokedAt', '#ttl': TableDefinition.ttlAttribute, '#orgId': 'orgId' },
          ExpressionAttributeValues: { ':true': true, ':at': now.toISOString(), ':ttl': Math.floor(now.getTime() / 1000) + REVOKED_LOOKUP_RETENTION_SECONDS, ':orgId': scope.orgId },
        },
      },
      onConditionFailed: gone,
    },
  ];
}
