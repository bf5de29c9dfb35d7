import { ValidationError } from '../errors';
import { KEY_ATTRIBUTES } from './table-definition';

/**
 * Opaque pagination cursors. A cursor carries DynamoDB's LastEvaluatedKey, but on the way back in it
 * is checked against the query it is presented to: only key attributes, only strings, and its
 * partition must be the partition the caller is allowed to query. A forged cursor can therefore
 * never move a query into another tenant's keys; at worst it skips within the caller's own partition.
 */

type Key = Record<string, string>;

const VERSION = 1;
const MAX_CURSOR_LENGTH = 2048;

export function encodeCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | undefined {
  if (!lastEvaluatedKey) return undefined;
  return Buffer.from(JSON.stringify({ v: VERSION, k: lastEvaluatedKey }), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor for a query over `partition` (the value of `partitionAttribute`).
 * @throws ValidationError when the cursor is malformed or belongs to another partition.
 */
export function decodeCursor(
  cursor: string | undefined,
  expected: { partitionAttribute: string; partition: string; sortKeyPrefix?: string; sortAttribute: string },
): Key | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new ValidationError([{ path: 'query.cursor', message: 'Invalid pagination cursor.' }]);
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null || (decoded as { v?: unknown }).v !== VERSION) throw invalid();
  const key = (decoded as { k?: unknown }).k;
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key as Record<string, unknown>);
  const allowed = new Set<string>(KEY_ATTRIBUTES);
  if (entries.length === 0 || entries.length > KEY_ATTRIBUTES.length) throw invalid();
  for (const [name, value] of entries) {
    if (!allowed.has(name) || typeof value !== 'string') throw invalid();
  }
  const typed = key as Key;
  if (typed[expected.partitionAttribute] !== expected.partition) throw invalid();
  const sortValue = typed[expected.sortAttribute];
  if (sortValue === undefined) throw invalid();
  if (expected.sortKeyPrefix !== undefined && !sortValue.startsWith(expected.sortKeyPrefix)) throw invalid();
  return typed;
}
