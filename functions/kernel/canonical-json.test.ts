import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

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
});
