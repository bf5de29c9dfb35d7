import { z } from 'zod';
import { generateApiKey } from '../kernel/auth/api-key-credentials';
import { ApiKeyLookups, ApiKeyRecord, ApiKeys, type ApiKeyLookupRecord } from '../kernel/auth/api-key-records';
import type { OrgScope } from '../kernel/auth/org-scope';
import type { Role } from '../kernel/auth/permissions';
import type { Table, TransactWrite } from '../kernel/storage/table';

/** The longest an API key may live: a key that must outlive this is a key nobody reviews. */
export const API_KEY_MAX_LIFETIME_MS = 366 * 24 * 3600 * 1000;

/** Rounded down to the minute: the listing says roughly when, not a per-request trace. */
const toMinute = (iso: string): string => `${iso.slice(0, 16)}:00.000Z`;

/** What the organization sees of a key: its listing record, with times as ISO strings. */
export const ApiKeyView = ApiKeyRecord.omit({ orgId: true, expiresAt: true }).extend({ expiresAt: z.string().optional() }).meta({ id: 'ApiKey' });

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
    writes: [ApiKeys.at(scope, keyId).create(record), ApiKeyLookups.at(keyId).create(lookup)],
  };
}

export async function getApiKey(table: Table, scope: OrgScope, keyId: string): Promise<ApiKeyRecord | undefined> {
  return table.read(ApiKeys.at(scope, keyId));
}
