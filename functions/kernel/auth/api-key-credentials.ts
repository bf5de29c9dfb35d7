import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditTrail } from '../audit/audit-trail';
import { AuditScopes } from '../audit/scopes';
import { Ids } from '../ids';
import { Conditions } from '../storage/conditions';
import type { Table, TransactWrite } from '../storage/table';
import { ApiKeyLookups, ApiKeys, type ApiKeyLookupRecord } from './api-key-records';
import type { OrgScope } from './org-scope';
import type { Principal } from './principal';

/**
 * Organization API keys: `rmp_<keyId>_<secret>`. The key id (20 lowercase hex) is public: it names
 * the key in listings, audit records and rate limits. The secret (32 random bytes, base64url) is
 * shown once and stored only as its SHA-256: a leaked table holds nothing that authenticates.
 */
export const API_KEY_PREFIX = 'rmp_';
const SECRET_BYTES = 32;

// Parsed by the fixed key-id length: base64url secrets may themselves contain `_`.
const API_KEY = /^rmp_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

/** How often at most a key's use is recorded (`lastUsedAt` and the `apikey.used` audit record). */
export const API_KEY_USE_RECORD_INTERVAL_MS = 60_000;

export const isApiKeyCredential = (credential: string): boolean => credential.startsWith(API_KEY_PREFIX);

const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** A new key: the string shown once, and the hash stored in its place. */
export function generateApiKey(): { keyId: string; key: string; secretHash: string } {
  const keyId = Ids.apiKey.generate();
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { keyId, key: `${API_KEY_PREFIX}${keyId}_${secret}`, secretHash: hashSecret(secret).toString('hex') };
}

/** Splits a presented key into its id and secret; `undefined` for anything not shaped like one of ours. */
export function parseApiKey(credential: string): { keyId: string; secret: string } | undefined {
  const match = API_KEY.exec(credential);
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

/** Whether a key still authenticates: not revoked, not expired. */
const isLive = (record: ApiKeyLookupRecord, nowMs: number): boolean => !record.revoked && (record.expiresAt === undefined || record.expiresAt * 1000 > nowMs);

/** A key as it stands now, found by its public id (no secret): its lookup item while it still authenticates. */
export async function liveApiKey(table: Table, keyId: string, now: Date): Promise<ApiKeyLookupRecord | undefined> {
  const record = await table.read(ApiKeyLookups.at(keyId));
  return record && isLive(record, now.getTime()) ? record : undefined;
}

/** A condition that the key still authenticates, in `scope`'s organization, when the transaction commits. */
export function apiKeyLiveCheck(scope: OrgScope, keyId: string, now: Date, onConditionFailed: () => Error): TransactWrite {
  return ApiKeyLookups.at(keyId).check(
    Conditions.all(Conditions.attributeIs('revoked', false), Conditions.attributeIs('orgId', scope.orgId), Conditions.unexpired(Math.floor(now.getTime() / 1000))),
    onConditionFailed,
  );
}

/**
 * The principal of a presented key, or `undefined` when the key is unknown, tampered with,
 * revoked or expired. One consistent GetItem per request and no cache: revocation is immediate.
 */
export async function verifyApiKey(table: Table, credential: string, nowMs: number): Promise<Extract<Principal, { type: 'api_key' }> | undefined> {
  const parsed = parseApiKey(credential);
  if (!parsed) return undefined;
  const record = await table.read(ApiKeyLookups.at(parsed.keyId));
  // Hash the presented secret even for an unknown key, so timing says nothing about which ids exist.
  const presented = hashSecret(parsed.secret);
  const stored = Buffer.from(record?.secretHash ?? '0'.repeat(64), 'hex');
  if (!timingSafeEqual(presented, stored) || !record || !isLive(record, nowMs)) return undefined;
  return {
    type: 'api_key',
    keyId: record.keyId,
    orgId: record.orgId,
    role: record.role,
    ...(record.projectIds ? { projectIds: record.projectIds } : {}),
    createdBy: record.createdBy,
    ...(record.lastUsedAt ? { lastUsedAt: record.lastUsedAt } : {}),
  };
}

/** The use was recorded within the interval by another request: nothing to do. */
class UseAlreadyRecorded extends Error {}

/**
 * Records that a key was used: `lastUsedAt` on both of its items, at most once per key per interval,
 * and for reads (`audited`) an `apikey.used` audit record in the same transaction; writes are
 * audited by their own change. The lookup item's conditional update decides which request records,
 * so concurrent requests on many instances write once; within the interval the principal's
 * `lastUsedAt` (read at authentication) spares even the attempt.
 */
export async function recordApiKeyUse(
  deps: { table: Table; audit: AuditTrail },
  principal: Extract<Principal, { type: 'api_key' }>,
  scope: OrgScope,
  request: { routeId: string; audited: boolean; sourceIp: string; userAgent: string | undefined },
  now: Date,
): Promise<boolean> {
  const cutoff = new Date(now.getTime() - API_KEY_USE_RECORD_INTERVAL_MS).toISOString();
  if (principal.lastUsedAt !== undefined && principal.lastUsedAt > cutoff) return false;
  const at = now.toISOString();
  const already = () => new UseAlreadyRecorded();
  const stale = Conditions.any(Conditions.attributeAbsent('lastUsedAt'), Conditions.attributeBelow('lastUsedAt', cutoff));
  const touch = { set: { lastUsedAt: at } };
  const writes = [
    ApiKeyLookups.at(principal.keyId).update(touch, { when: Conditions.all(Conditions.exists, stale), onConditionFailed: already }),
    ApiKeys.at(scope, principal.keyId).update(touch, { when: Conditions.exists, onConditionFailed: already }),
  ];
  try {
    if (!request.audited) {
      await deps.table.transact(writes);
      return true;
    }
    await deps.audit.commit(
      {
        scope: AuditScopes.org(scope),
        actor: { type: 'api_key', id: principal.keyId, ip: request.sourceIp, ...(request.userAgent ? { userAgent: request.userAgent.slice(0, 512) } : {}) },
        action: 'apikey.used',
        target: { type: 'api_key', id: principal.keyId },
        metadata: { keyId: principal.keyId, route: request.routeId },
      },
      writes,
    );
    return true;
  } catch (error) {
    if (error instanceof UseAlreadyRecorded) return false;
    throw error;
  }
}
