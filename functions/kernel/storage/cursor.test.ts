import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { decodeCursor, encodeCursor, type CursorExpectation } from './cursor';

const tableQuery: CursorExpectation = { keyAttributes: ['pk', 'sk'], partitionAttribute: 'pk', partition: 'ORG#o_mine', sortAttribute: 'sk' };
const indexQuery: CursorExpectation = {
  keyAttributes: ['gsi1pk', 'gsi1sk', 'pk', 'sk'],
  partitionAttribute: 'gsi1pk',
  partition: 'ORG#o_mine#BY_NAME',
  sortAttribute: 'gsi1sk',
};

const raw = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const cursorOf = (key: Record<string, unknown>) => raw({ v: 1, k: key });

function expectRefused(cursor: string, expected: CursorExpectation = tableQuery) {
  let thrown: unknown;
  try {
    decodeCursor(cursor, expected);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect(thrown).toMatchObject({ code: 'validation_failed', issues: [{ path: 'query.cursor' }] });
}

describe('cursor', () => {
  describe('encodeCursor / decodeCursor', () => {
    it('round-trips a table LastEvaluatedKey for the same partition', () => {
      const key = { pk: 'ORG#o_mine', sk: 'PROJECT#p_1' };
      expect(decodeCursor(encodeCursor(key), tableQuery)).toEqual(key);
    });

    it('round-trips an index LastEvaluatedKey, which also holds the table keys', () => {
      const key = { gsi1pk: 'ORG#o_mine#BY_NAME', gsi1sk: 'alpha', pk: 'ORG#o_mine', sk: 'PROJECT#p_1' };
      expect(decodeCursor(encodeCursor(key), indexQuery)).toEqual(key);
    });

    it('encodes no cursor when there is no next page, and decodes none to none', () => {
      expect(encodeCursor(undefined)).toBeUndefined();
      expect(decodeCursor(undefined, tableQuery)).toBeUndefined();
    });

    it('encodes as URL-safe text', () => {
      expect(encodeCursor({ pk: 'ORG#o_mine', sk: '??>>~~' })).toMatch(/^[A-Za-z0-9_-]+$/);
    });

    it('accepts a sort key within the expected prefix or range', () => {
      expect(decodeCursor(cursorOf({ pk: 'ORG#o_mine', sk: 'PROJECT#p_1' }), { ...tableQuery, sortKeyPrefix: 'PROJECT#' })).toBeDefined();
      expect(decodeCursor(cursorOf({ pk: 'ORG#o_mine', sk: 'B' }), { ...tableQuery, sortKeyBetween: ['A', 'C'] })).toBeDefined();
      expect(decodeCursor(cursorOf({ pk: 'ORG#o_mine', sk: 'C' }), { ...tableQuery, sortKeyBetween: ['A', 'C'] })).toBeDefined();
    });
  });

  describe('decodeCursor refuses', () => {
    it('a cursor of another partition', () => {
      expectRefused(cursorOf({ pk: 'ORG#o_victim', sk: 'PROJECT#p_1' }));
    });

    it('a cursor of a partition that merely starts like the expected one', () => {
      expectRefused(cursorOf({ pk: 'ORG#o_mine_and_more', sk: 'PROJECT#p_1' }));
    });

    it('an index cursor whose table keys match but whose index partition does not', () => {
      expectRefused(cursorOf({ gsi1pk: 'ORG#o_victim#BY_NAME', gsi1sk: 'a', pk: 'ORG#o_mine', sk: 'PROJECT#p_1' }), indexQuery);
    });

    it('a sort key outside the expected prefix', () => {
      expectRefused(cursorOf({ pk: 'ORG#o_mine', sk: 'MEMBER#u_1' }), { ...tableQuery, sortKeyPrefix: 'PROJECT#' });
    });

    it.each(['0', 'D', 'C\u0000'])('a sort key %j outside the expected range', (sk) => {
      expectRefused(cursorOf({ pk: 'ORG#o_mine', sk }), { ...tableQuery, sortKeyBetween: ['A', 'C'] });
    });

    it.each([
      ['an extra attribute', { pk: 'ORG#o_mine', sk: 's', owner: 'me' }],
      ['index attributes on a table query', { pk: 'ORG#o_mine', sk: 's', gsi1pk: 'x', gsi1sk: 'y' }],
      ['an own __proto__ attribute', JSON.parse('{"pk":"ORG#o_mine","sk":"s","__proto__":{"x":1}}')],
      ['no sort key', { pk: 'ORG#o_mine' }],
      ['no partition key', { sk: 's' }],
      ['no attributes', {}],
      ['a number attribute', { pk: 'ORG#o_mine', sk: 5 }],
      ['a DynamoDB-typed attribute', { pk: 'ORG#o_mine', sk: { S: 's' } }],
      ['a null attribute', { pk: 'ORG#o_mine', sk: null }],
      ['an empty sort key', { pk: 'ORG#o_mine', sk: '' }],
    ])('a key with %s', (_label, key) => {
      expectRefused(cursorOf(key));
    });

    it('an index cursor missing the table keys', () => {
      expectRefused(cursorOf({ gsi1pk: 'ORG#o_mine#BY_NAME', gsi1sk: 'a' }), indexQuery);
    });

    it.each([
      ['an empty string', ''],
      ['characters outside base64url', 'eyJ2IjoxfQ=='],
      ['spaces', 'abc def'],
      ['base64url that is not JSON', Buffer.from('not json').toString('base64url')],
      ['JSON that is not an object', raw('cursor')],
      ['JSON null', raw(null)],
      ['no version', raw({ k: { pk: 'ORG#o_mine', sk: 's' } })],
      ['another version', raw({ v: 2, k: { pk: 'ORG#o_mine', sk: 's' } })],
      ['a version as a string', raw({ v: '1', k: { pk: 'ORG#o_mine', sk: 's' } })],
      ['no key', raw({ v: 1 })],
      ['a key that is an array', raw({ v: 1, k: ['ORG#o_mine', 's'] })],
      ['a key that is null', raw({ v: 1, k: null })],
    ])('%s', (_label, cursor) => {
      expectRefused(cursor);
    });

    it('a cursor longer than 2048 characters, before decoding it', () => {
      const oversized = cursorOf({ pk: 'ORG#o_mine', sk: 'x'.repeat(2000) });
      expect(oversized.length).toBeGreaterThan(2048);
      expectRefused(oversized);
    });

    it('a cursor with any one character of its version, structure or partition flipped', () => {
      const cursor = cursorOf({ pk: 'ORG#o_mine', sk: 'PROJECT#p_1' });
      // The first 40 characters encode `{"v":1,"k":{"pk":"ORG#o_mine",`: no single flip may pass.
      for (let i = 0; i < 40; i++) {
        const flipped = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
        expect(() => decodeCursor(flipped, tableQuery), `flip at ${i}`).toThrow(ValidationError);
      }
    });
  });
});
