import { z } from 'zod';
import { defineEntity } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';
import { Roles } from './permissions';

/**
 * The two items of an organization API key: the lookup item authentication reads on every request
 * (found by the public key id, holding the secret's hash) and the listing record the organization
 * sees (never the secret nor its hash). The orgs domain issues and revokes keys; the authenticator
 * reads the lookup; both items record when the key was last used.
 */

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
