import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json';
import { defineEntity } from '../storage/entity';
import { IndexKeys, Keys, Listings } from '../storage/keys';

/** prevHash of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

export const AuditScope = z.string().regex(/^(?:(?:org|user):[A-Za-z0-9_-]{1,64}|platform)$/, 'scope must be org:<id>, user:<id> or platform');
export type AuditScope = z.output<typeof AuditScope>;

export const AuditActor = z.strictObject({
  type: z.enum(['user', 'api_key', 'system']),
  id: z.string().min(1).max(128),
  ip: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
});
export type AuditActor = z.output<typeof AuditActor>;

export const AuditTarget = z.strictObject({ type: z.string().regex(/^[a-z_]{1,32}$/), id: z.string().min(1).max(128) });
export type AuditTarget = z.output<typeof AuditTarget>;

export const AuditOutcome = z.enum(['success', 'failure', 'denied']);

/** One record of a chain, as stored (the storage keys aside). */
export const AuditRecord = z.object({
  scope: AuditScope,
  seq: z.number().int().positive(),
  at: z.string(),
  actor: AuditActor,
  action: z.string(),
  target: AuditTarget.optional(),
  outcome: AuditOutcome,
  metadata: z.record(z.string(), z.unknown()),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditRecord = z.output<typeof AuditRecord>;

export const AuditHead = z.object({ scope: AuditScope, seq: z.number().int().positive(), hash: z.string(), updatedAt: z.string().optional() });
export type AuditHead = z.output<typeof AuditHead>;

/** Records, by scope and sequence number, and listed by action through gsi1. IAM forbids changing them. */
export const AuditRecords = defineEntity({
  name: 'audit record',
  schema: AuditRecord,
  key: Keys.auditRecord,
  indexKeys: (record, scope: string, seq: number) => IndexKeys.auditRecordByAction(scope, record.action, seq),
  queries: { ofChain: Listings.auditRecords, byAction: Listings.auditRecordsByAction },
});

/** The head of each chain: the last record's sequence number and hash. */
export const AuditHeads = defineEntity({ name: 'audit head', schema: AuditHead, key: Keys.auditHead });

/** SHA-256 over the canonical encoding of every field of the record but `hash` itself. */
export function hashAuditRecord(record: Omit<AuditRecord, 'hash'>): string {
  const { scope, seq, at, actor, action, target, outcome, metadata, prevHash } = record;
  const canonical = canonicalJson({ scope, seq, at, actor, action, target, outcome, metadata, prevHash });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
