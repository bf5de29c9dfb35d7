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

/** What a cursor must match to be accepted by one query. */
export interface CursorExpectation {
  /** The key attributes of the queried table or index (an index's LastEvaluatedKey also holds the table's). */
  readonly keyAttributes: readonly string[];
  readonly partitionAttribute: string;
  readonly partition: string;
  readonly sortAttribute: string;
  readonly sortKeyPrefix?: string;
  readonly sortKeyBetween?: readonly [string, string];
}

/**
 * Decodes a cursor for a query over `partition` (the value of `partitionAttribute`).
 * Everything DynamoDB would refuse as an ExclusiveStartKey is refused here first, so a forged
 * cursor is a 400 and never reaches the table as an unexplained SDK error.
 * @throws ValidationError when the cursor is malformed or belongs to another partition or range.
 */
export function decodeCursor(cursor: string | undefined, expected: CursorExpectation): Key | undefined {
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
  // Exactly the key attributes of the queried table or index: a table cursor carries no index keys.
  const allowed = new Set<string>(expected.keyAttributes.filter((name) => (KEY_ATTRIBUTES as readonly string[]).includes(name)));
  if (entries.length !== allowed.size) throw invalid();
  for (const [name, value] of entries) {
    if (!allowed.has(name) || typeof value !== 'string' || value === '') throw invalid();
  }
  const typed = key as Key;
  if (typed[expected.partitionAttribute] !== expected.partition) throw invalid();
  const sortValue = typed[expected.sortAttribute];
  if (sortValue === undefined) throw invalid();
  if (expected.sortKeyPrefix !== undefined && !sortValue.startsWith(expected.sortKeyPrefix)) throw invalid();
  if (expected.sortKeyBetween !== undefined) {
    const [low, high] = expected.sortKeyBetween;
    if (utf8Order(sortValue, low) < 0 || utf8Order(sortValue, high) > 0) throw invalid();
  }
  return typed;
}

/** DynamoDB orders string keys by their UTF-8 bytes, which is not JavaScript's UTF-16 order. */
const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
