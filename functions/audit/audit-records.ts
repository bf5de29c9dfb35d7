import type { AuditAction } from '../kernel/audit/catalogue';
import { AuditRecord, AuditRecords } from '../kernel/audit/record';
import { Keys } from '../kernel/storage/keys';
import type { Table, WalkedItem } from '../kernel/storage/table';

/**
 * Reading an organization's audit records: filtered pages and export parts, each with an exact
 * cursor. The records themselves (entity, chain, verification) belong to the kernel's audit trail.
 */

/** Records examined per list request at most: a filter that matches little still answers in bounded time. */
export const MAX_EXAMINED = 2000;

/**
 * Bytes of JSON Lines per export part: under Lambda's 6 MB response limit with room for headers
 * (API Gateway adds nothing to the body; records are a few hundred bytes each).
 */
export const EXPORT_PART_BYTES = 4 * 1024 * 1024;

/**
 * The record an item holds, if it is one of `auditScope`'s records. The by-action index is
 * overloaded, so an item anyone wrote with a forged `gsi1pk` can appear in it: only an item stored
 * under the scope's own audit partition counts.
 */
function recordOf({ item, key }: WalkedItem, auditScope: string): AuditRecord | undefined {
  if (key.pk !== Keys.auditPartition(auditScope)) return undefined;
  const parsed = AuditRecord.safeParse(item);
  return parsed.success && parsed.data.scope === auditScope ? parsed.data : undefined;
}

export interface AuditFilter {
  readonly action?: AuditAction;
  readonly actor?: string;
  readonly target?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface AuditPage {
  readonly records: AuditRecord[];
  readonly cursor?: string;
  /** Items skipped because they are not records of the scope (forged index entries, malformed items). */
  readonly dropped: number;
}

/**
 * A page of a scope's records, newest first unless `ascending`. `action` selects the by-action
 * index; actor, target and time are filtered here while walking, rather than by a DynamoDB
 * FilterExpression, so a page holds `limit` matches (not `limit` items read, some filtered away)
 * and its cursor resumes exactly after the last record examined. Since a record's sequence number
 * and time grow together, the walk stops at the first record past the time window.
 */
export async function queryAuditRecords(
  table: Table,
  auditScope: string,
  filter: AuditFilter,
  page: { readonly limit: number; readonly ascending: boolean; readonly cursor?: string },
): Promise<AuditPage> {
  const from = filter.from === undefined ? -Infinity : Date.parse(filter.from);
  const to = filter.to === undefined ? Infinity : Date.parse(filter.to);
  const filtersInCode = filter.actor !== undefined || filter.target !== undefined || filter.from !== undefined || filter.to !== undefined;
  const records: AuditRecord[] = [];
  let dropped = 0;
  let examined = 0;
  const listing = filter.action ? AuditRecords.query.byAction(auditScope, filter.action) : AuditRecords.query.ofChain(auditScope);
  const items = table.walk(listing, { ascending: page.ascending, readPage: filtersInCode ? 200 : page.limit, cursor: page.cursor });
  for await (const walked of items) {
    examined++;
    const record = recordOf(walked, auditScope);
    if (!record || (filter.action !== undefined && record.action !== filter.action)) {
      dropped++;
    } else {
      const at = Date.parse(record.at);
      if (page.ascending ? at > to : at < from) return { records, dropped };
      const matches = at >= from && at <= to && (filter.actor === undefined || record.actor.id === filter.actor) && (filter.target === undefined || record.target?.id === filter.target);
      if (matches) records.push(record);
    }
    if (records.length === page.limit || examined >= MAX_EXAMINED) return { records, cursor: walked.resumeAfter(), dropped };
  }
  return { records, dropped };
}

/**
 * One part of a scope's export: its records oldest first, up to `partBytes` of JSON Lines,
 * with the cursor of the next part when the chain goes on.
 */
export async function exportAuditRecords(table: Table, auditScope: string, cursor?: string, partBytes = EXPORT_PART_BYTES): Promise<AuditPage> {
  const records: AuditRecord[] = [];
  let dropped = 0;
  let bytes = 0;
  let resume: (() => string) | undefined;
  for await (const walked of table.walk(AuditRecords.query.ofChain(auditScope), { ascending: true, readPage: 500, cursor })) {
    const record = recordOf(walked, auditScope);
    if (!record) {
      dropped++;
    } else {
      const size = Buffer.byteLength(JSON.stringify(record), 'utf8') + 1;
      if (records.length > 0 && bytes + size > partBytes) return { records, ...(resume ? { cursor: resume() } : {}), dropped };
      bytes += size;
      records.push(record);
    }
    resume = walked.resumeAfter;
  }
  return { records, dropped };
}
