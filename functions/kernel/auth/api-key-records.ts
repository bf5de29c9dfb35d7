import { z } from 'zod';
import { Conditions } from '../storage/conditions';
import { defineEntity } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';
import type { Table, TransactWrite } from '../storage/table';
import type { OrgScope } from './org-scope';
import { Roles } from './permissions';

/**
 * The two items of an organization API key: the lookup item authentication reads on every request
 * (found by the public key id, holding the secret's hash) and the listing record the organization
 * sees (never the secret nor its hash). The orgs domain issues and revokes keys, and removing a
 * membership revokes the keys its member created (`tenancy/memberships.ts`); the authenticator reads
 * the lookup; both items record when the key was last used.
 */

/** Why a key was revoked: by a member (`DELETE …/api-keys/{keyId}`), or with its creator's membership. */
export const ApiKeyRevocationReasons = ['revoked', 'creator_removed'] as const;
export type ApiKeyRevocationReason = (typeof ApiKeyRevocationReasons)[number];

/** The item authentication reads, at `APIKEY#<keyId>` / `KEY`: everything needed, nothing more. */
export const ApiKeyLookupRecord = z.object({
  keyId: z.string(),
  orgId: z.string(),
  /** Hex SHA-256 of the secret part. */
  secretHash: z.string().regex(/^[0-9a-f]{64}$/),
  role: z.enum(Roles),
  projectIds: z.array(z.string()).optional(),
  createdBy: z.string(),
  /** Epoch seconds: also the table's TTL attribute, so an expired key's items disappear on their own. */
  expiresAt: z.number().optional(),
  revoked: z.boolean(),
  revokedAt: z.string().optional(),
  revokedReason: z.enum(ApiKeyRevocationReasons).optional(),
  lastUsedAt: z.string().optional(),
});
export type ApiKeyLookupRecord = z.output<typeof ApiKeyLookupRecord>;

export const ApiKeyLookups = defineEntity({ name: 'API key lookup', schema: ApiKeyLookupRecord, key: Keys.apiKeyLookup });

/** An API key's listing record, at `ORG#<orgId>` / `APIKEY#<keyId>`: what the organization sees of the key. */
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

export const ApiKeys = defineEntity({ name: 'API key', schema: ApiKeyRecord, key: Keys.apiKey, queries: { ofOrg: Listings.apiKeysOfOrg } });

/** How long a revoked key's lookup item stays (TTL) so that later uses of it are still refused as revoked. */
const REVOKED_LOOKUP_RETENTION_SECONDS = 30 * 24 * 3600;

/** The organization's API keys, oldest first (consistent). */
export async function listApiKeys(table: Table, scope: OrgScope): Promise<ApiKeyRecord[]> {
  const keys = await table.queryAll(ApiKeys.query.ofOrg(scope), { consistent: true });
  return keys.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

/**
 * Revocation: the lookup item is marked revoked, with when and why (authentication reads it on every
 * request, so the next request is refused) and kept a while; the listing record goes. Both must
 * still exist, and the lookup item must still belong to this organization (a condition, not a
 * trust in the listing record); otherwise `onConditionFailed`.
 */
export function revokeApiKeyWrites(scope: OrgScope, keyId: string, reason: ApiKeyRevocationReason, now: Date, onConditionFailed: () => Error): TransactWrite[] {
  return [
    ApiKeys.at(scope, keyId).delete({ when: Conditions.exists, onConditionFailed }),
    ApiKeyLookups.at(keyId).update(
      { set: { revoked: true, revokedAt: now.toISOString(), revokedReason: reason, expiresAt: Math.floor(now.getTime() / 1000) + REVOKED_LOOKUP_RETENTION_SECONDS } },
      { when: Conditions.all(Conditions.exists, Conditions.attributeIs('orgId', scope.orgId)), onConditionFailed },
    ),
  ];
}
