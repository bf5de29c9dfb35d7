import { z } from 'zod';
import { IndexKeys, Keys, Listings } from '../storage/keys';
import type { Table } from '../storage/table';
import { KEY_ATTRIBUTES } from '../storage/table-definition';
import { AuditHead, AuditHeads, AuditRecord, GENESIS_HASH, hashAuditRecord } from './record';

export type ChainBreak =
  | 'malformed_record'
  | 'sequence_gap'
  | 'previous_hash_mismatch'
  | 'hash_mismatch'
  | 'head_mismatch';

export type ChainVerification =
  | { readonly ok: true; readonly scope: string; readonly checked: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly scope: string;
      readonly checked: number;
      /** The first record (by sequence number) whose link does not hold. */
      readonly brokenAt: { readonly seq: number; readonly reason: ChainBreak };
    };

const PAGE = 500;
const Anything = z.looseObject({});

/**
 * A record item exactly as the trail stores it: nothing more (an attribute outside the hash, such
 * as a future `expiresAt` that would let TTL delete it, is tampering) and its index keys in place.
 */
const StoredRecord = z.strictObject({
  ...AuditRecord.shape,
  ...Object.fromEntries(KEY_ATTRIBUTES.map((name) => [name, z.string()])),
});
type StoredRecord = z.output<typeof StoredRecord>;

/** Whether the item is stored under the keys the trail gives `record`, in the table and the by-action index. */
function storedInPlace(item: StoredRecord): boolean {
  try {
    const expected: Record<string, string> = { ...Keys.auditRecord(item.scope, item.seq), ...IndexKeys.auditRecordByAction(item.scope, item.action, item.seq) };
    return KEY_ATTRIBUTES.every((name) => (item as Record<string, unknown>)[name] === expected[name]);
  } catch {
    return false; // an action no key can be built from was never written by the trail
  }
}

/**
 * Recomputes a scope's chain from its first record and names the first broken link: an edited
 * record (hash), a deleted or reordered one (sequence, previous hash), a truncated tail or a moved
 * head (head), and an item altered outside the hash or moved out of its index (malformed).
 */
export async function verifyAuditChain(table: Table, scope: string): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  const broken = (seq: number, reason: ChainBreak): ChainVerification => ({ ok: false, scope, checked: expectedSeq - 1, brokenAt: { seq, reason } });

  for await (const { item: raw } of table.walk(Listings.auditRecords(scope), { ascending: true, readPage: PAGE })) {
    const parsed = StoredRecord.safeParse(raw);
    if (!parsed.success) return broken(expectedSeq, 'malformed_record');
    const record = AuditRecord.parse(parsed.data);
    if (record.seq !== expectedSeq || record.scope !== scope) return broken(expectedSeq, 'sequence_gap');
    if (record.prevHash !== prevHash) return broken(record.seq, 'previous_hash_mismatch');
    const { hash, ...unsigned } = record;
    if (hashAuditRecord(unsigned) !== hash) return broken(record.seq, 'hash_mismatch');
    if (!storedInPlace(parsed.data)) return broken(record.seq, 'malformed_record');
    prevHash = hash;
    expectedSeq++;
  }

  const lastSeq = expectedSeq - 1;
  const stored = await table.get(AuditHeads.key(scope), Anything, { consistent: true });
  const parsedHead = stored === undefined ? undefined : AuditHead.safeParse(stored);
  if (parsedHead && !parsedHead.success) return broken(lastSeq, 'head_mismatch');
  const head = parsedHead?.data;
  const headSeq = head?.seq ?? 0;
  // Name where records and head part: the first missing record when the head is ahead (a truncated
  // tail), the first record it does not cover when it is behind (a rewound, deleted or bypassed head).
  if (headSeq > lastSeq) return broken(lastSeq + 1, 'head_mismatch');
  if (headSeq < lastSeq) return broken(headSeq + 1, 'head_mismatch');
  if (head && head.hash !== prevHash) return broken(lastSeq, 'head_mismatch');
  return { ok: true, scope, checked: lastSeq, headHash: prevHash };
}
