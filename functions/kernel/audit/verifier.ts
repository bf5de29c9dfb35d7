import { z } from 'zod';
import { Keys } from '../storage/keys';
import type { Table } from '../storage/table';
import { AuditHead, AuditRecord, GENESIS_HASH, hashAuditRecord } from './record';

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
const StoredRecord = z.looseObject({});

/**
 * Recomputes a scope's chain from its first record and names the first broken link: an edited
 * record (hash), a deleted or reordered one (sequence, previous hash) and a truncated tail (head).
 */
export async function verifyAuditChain(table: Table, scope: string): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let cursor: string | undefined;
  const broken = (seq: number, reason: ChainBreak): ChainVerification => ({ ok: false, scope, checked: expectedSeq - 1, brokenAt: { seq, reason } });

  do {
    const page = await table.query({
      schema: StoredRecord,
      partition: Keys.auditPartition(scope),
      sortKeyPrefix: 'SEQ#',
      limit: PAGE,
      consistent: true,
      ...(cursor ? { cursor } : {}),
    });
    for (const raw of page.items) {
      const parsed = AuditRecord.safeParse(raw);
      if (!parsed.success) return broken(expectedSeq, 'malformed_record');
      const record = parsed.data;
      if (record.seq !== expectedSeq || record.scope !== scope) return broken(expectedSeq, 'sequence_gap');
      if (record.prevHash !== prevHash) return broken(record.seq, 'previous_hash_mismatch');
      const { hash, ...unsigned } = record;
      if (hashAuditRecord(unsigned) !== hash) return broken(record.seq, 'hash_mismatch');
      prevHash = hash;
      expectedSeq++;
    }
    cursor = page.cursor;
  } while (cursor);

  const head = await table.get(Keys.auditHead(scope), AuditHead, { consistent: true });
  const lastSeq = expectedSeq - 1;
  if ((head?.seq ?? 0) !== lastSeq || (head ? head.hash !== prevHash : false)) {
    return broken(Math.min(lastSeq + 1, head?.seq ?? lastSeq + 1), 'head_mismatch');
  }
  return { ok: true, scope, checked: lastSeq, headHash: prevHash };
}
