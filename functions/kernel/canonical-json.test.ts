import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

interface Rfc8785Vectors {
  readonly documents: { readonly vectors: { name: string; input: string; output: string; outputHex: string }[] };
  readonly propertySorting: { readonly input: string; readonly expectedValueOrder: string[] };
  readonly numbers: { readonly vectors: { ieee754: string; json: string | null; comment: string }[] };
  readonly es6Samples: { readonly vectors: { ieee754: string; json: string }[] };
}

const rfc8785: Rfc8785Vectors = JSON.parse(readFileSync(new URL('../../test/vectors/rfc8785-jcs.json', import.meta.url), 'utf8'));

/** The double whose IEEE 754 bits are `hex` (big-endian, leading zeros optional). */
const doubleFromBits = (hex: string) => Buffer.from(hex.padStart(16, '0'), 'hex').readDoubleBE(0);

describe('canonicalJson', () => {
  describe('objects', () => {
    it('encodes the same object the same way whatever order its keys were added in', () => {
      const a = { scope: 'org:o1', seq: 2, actor: { type: 'user', id: 'u1' } };
      const b = { actor: { id: 'u1', type: 'user' }, seq: 2, scope: 'org:o1' };

      expect(canonicalJson(a)).toBe(canonicalJson(b));
      expect(canonicalJson(a)).toBe('{"actor":{"id":"u1","type":"user"},"scope":"org:o1","seq":2}');
    });

    it('sorts keys at every depth, inside arrays too, and keeps array order', () => {
      const value = { z: [{ b: 1, a: [3, 1, 2] }, { d: { f: null, e: true } }], a: {} };

      expect(canonicalJson(value)).toBe('{"a":{},"z":[{"a":[3,1,2],"b":1},{"d":{"e":true,"f":null}}]}');
    });

    it('sorts keys by UTF-16 code units, as RFC 8785 §3.2.3 does', () => {
      // The property-sorting example of RFC 8785 §3.2.3, keys given in its (unsorted) input order.
      const value = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };

      expect(canonicalJson(value)).toBe(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it('drops undefined properties, so an absent field and an undefined one encode alike', () => {
      expect(canonicalJson({ a: 1, target: undefined })).toBe('{"a":1}');
      expect(canonicalJson({ a: 1, target: undefined })).toBe(canonicalJson({ a: 1 }));
      expect(canonicalJson({ nested: { gone: undefined } })).toBe('{"nested":{}}');
    });

    it('accepts objects without a prototype', () => {
      const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 });
      expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
    });

    it('encodes keys that could pass for JSON syntax as plain strings', () => {
      expect(canonicalJson({ '"a":1,"b': 2 })).toBe('{"\\"a\\":1,\\"b":2}');
      expect(JSON.parse(canonicalJson({ '"a":1,"b': 2 }))).toEqual({ '"a":1,"b': 2 });
    });
  });

  describe('scalars', () => {
    it.each([
      [null, 'null'],
      [true, 'true'],
      [false, 'false'],
      [0, '0'],
      [-0, '0'],
      [1.5, '1.5'],
      [1e21, '1e+21'],
      [Number.MAX_SAFE_INTEGER, '9007199254740991'],
      ['plain', '"plain"'],
      ['quote " backslash \\ newline \n', '"quote \\" backslash \\\\ newline \\n"'],
      ['\u2028 é 😀', '"\u2028 é 😀"'],
    ])('encodes %j as %s', (value, expected) => {
      expect(canonicalJson(value)).toBe(expected);
    });

    it('round-trips through JSON.parse to an equal value', () => {
      const value = { s: 'x', n: [1, -2.25, 0], o: { t: true, f: false, z: null } };
      expect(JSON.parse(canonicalJson(value))).toEqual(value);
    });
  });

  describe('refused values', () => {
    it.each([
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
      ['NaN nested in an object', { metadata: { count: NaN } }],
      ['Infinity nested in an array', [1, Infinity]],
    ])('refuses %s', (_label, value) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    });

    it.each([
      ['a Date', new Date(0)],
      ['a Map', new Map([['a', 1]])],
      ['a Set', new Set([1])],
      ['a class instance', new (class Actor { id = 'u1' })()],
      ['a Buffer', Buffer.from('abc')],
      ['a boxed string', new String('abc')],
      ['a class instance nested in an object', { at: new Date(0) }],
    ])('refuses %s rather than encoding it the way JSON.stringify would', (_label, value) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    });

    it.each([
      ['a function', () => 1],
      ['a function as a property value (JSON.stringify drops it)', { a: 1, f: () => 1 }],
      ['a symbol', Symbol('s')],
      ['a bigint', 10n],
      ['undefined', undefined],
      ['undefined as an array element (JSON.stringify writes null)', [1, undefined]],
      // eslint-disable-next-line no-sparse-arrays
      ['a hole in an array', [1, , 3]],
    ])('refuses %s', (_label, value) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    });
  });

  describe('RFC 8785 vectors', () => {
    it('reads every vector of the data file', () => {
      expect(rfc8785.documents.vectors.map((v) => v.name)).toEqual(['arrays', 'french', 'structures', 'unicode', 'values', 'weird']);
      expect(rfc8785.numbers.vectors).toHaveLength(26);
      expect(rfc8785.es6Samples.vectors).toHaveLength(7);
    });

    it.each(rfc8785.documents.vectors)('canonicalises the $name document to the published output and UTF-8 bytes', ({ input, output, outputHex }) => {
      const canonical = canonicalJson(JSON.parse(input));
      expect(canonical).toBe(output);
      expect(Buffer.from(canonical, 'utf8').toString('hex').match(/../g)!.join(' ')).toBe(outputHex);
    });

    it('orders the §3.2.3 sorting data as the RFC lists it', () => {
      const canonical = canonicalJson(JSON.parse(rfc8785.propertySorting.input));
      // Positions in the text, not a re-parse: JS objects put integer-like keys first.
      const positions = rfc8785.propertySorting.expectedValueOrder.map((value) => canonical.indexOf(`"${value}"`));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    });

    it.each(rfc8785.numbers.vectors.filter((v) => v.json !== null))('writes the Appendix B number $ieee754 as $json', ({ ieee754, json }) => {
      expect(canonicalJson(doubleFromBits(ieee754))).toBe(json);
      expect(canonicalJson([doubleFromBits(ieee754)])).toBe(`[${json}]`);
    });

    it.each(rfc8785.numbers.vectors.filter((v) => v.json === null))('refuses the Appendix B value $ieee754 ($comment)', ({ ieee754 }) => {
      expect(() => canonicalJson(doubleFromBits(ieee754))).toThrow(TypeError);
      expect(() => canonicalJson({ n: doubleFromBits(ieee754) })).toThrow(TypeError);
    });

    it.each(rfc8785.es6Samples.vectors)('writes the reference number sample $ieee754 as $json', ({ ieee754, json }) => {
      expect(canonicalJson(doubleFromBits(ieee754))).toBe(json);
    });

    it.each([
      ['a lone high surrogate', 'a\ud800b'],
      ['a lone low surrogate', '\udead'],
      ['a high surrogate at the end', 'x\ud83d'],
      ['surrogates in the wrong order', '\ude00\ud83d'],
    ])('refuses %s in a value or a key (§3.2.2.2)', (_label, text) => {
      expect(() => canonicalJson(text)).toThrow(TypeError);
      expect(() => canonicalJson({ metadata: { name: text } })).toThrow(TypeError);
      expect(() => canonicalJson({ [text]: 1 })).toThrow(TypeError);
    });

    it('keeps a well-formed surrogate pair', () => {
      expect(canonicalJson({ '\ud83d\ude00': '\ud83d\ude00' })).toBe('{"😀":"😀"}');
    });
  });

  describe('audit records', () => {
    // Hashes of records as the audit trail writes them: chains already stored depend on these bytes.
    it.each([
      [
        'a user creating a project, with non-ASCII and escaped metadata',
        {
          scope: 'org:o_7Hq2',
          seq: 1,
          at: '2025-03-01T12:00:00.000Z',
          actor: { type: 'user', id: 'u_ada', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
          action: 'project.create',
          target: { type: 'project', id: 'p_1' },
          outcome: 'success',
          metadata: { name: 'Café "Zürich" \\ 東京 😀', region: 'eu-west-1', tags: ['a', 'b'] },
          prevHash: '0'.repeat(64),
        },
        '66777761d8475cfe5f909c25026a50dd6239185808aa26ddfb7e339c26ff59e6',
      ],
      [
        'a denied system action without a target, with nested metadata and control characters',
        {
          scope: 'user:u_ada',
          seq: 42,
          at: '2025-03-01T12:00:01.250Z',
          actor: { type: 'system', id: 'scheduler' },
          action: 'session.revoke',
          target: undefined,
          outcome: 'denied',
          metadata: { reason: 'refresh_token_reused', attempts: 3, first: true, nested: { z: null, a: [1, 2, { y: false, b: 'x\n\t\u0001' }] } },
          prevHash: 'ab'.repeat(32),
        },
        '34e87e84c4449774894d315c36686ca7015d52abe2d83edcd6e55da3210f5436',
      ],
      [
        'a failed platform action at the largest sequence number, with empty metadata',
        {
          scope: 'platform',
          seq: Number.MAX_SAFE_INTEGER,
          at: '2025-03-01T12:00:02.000Z',
          actor: { type: 'api_key', id: 'k_1' },
          action: 'env.import',
          target: { type: 'env_var', id: 'API_URL' },
          outcome: 'failure',
          metadata: {},
          prevHash: 'f'.repeat(64),
        },
        'dc7acbbfa1578dc040dc52ebc99ca9f679f7d0d01ddb98e0beba3ab83a4b5592',
      ],
    ])('encodes %s to the bytes its chain hash was computed over', (_label, record, hash) => {
      expect(createHash('sha256').update(canonicalJson(record), 'utf8').digest('hex')).toBe(hash);
    });
  });

  describe('structure', () => {
    it('refuses a circular structure', () => {
      const loop: Record<string, unknown> = { a: 1 };
      loop.self = { back: loop };
      expect(() => canonicalJson(loop)).toThrow(TypeError);
      const ring: unknown[] = [];
      ring.push(ring);
      expect(() => canonicalJson(ring)).toThrow(TypeError);
    });

    it('encodes the same object reached twice, which is not a cycle', () => {
      const shared = { id: 'u1' };
      expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"id":"u1"},"b":[{"id":"u1"}]}');
    });

    it('refuses an object carrying its own toJSON rather than encoding what it returns', () => {
      expect(() => canonicalJson({ toJSON: () => 'x' })).toThrow(TypeError);
    });
  });
});
