import canonicalize from 'canonicalize';

/**
 * RFC 8785 canonical JSON, so that a hash over a record is the same wherever and whenever it is
 * recomputed. The serialisation is `canonicalize`, by the RFC's authors; the guard in front refuses
 * what JSON cannot carry exactly (which `canonicalize` would drop, turn into null or pass to `toJSON`).
 *
 * @example canonicalJson({ seq: 2, scope: 'org:o1' }) // '{"scope":"org:o1","seq":2}'
 */
export function canonicalJson(value: unknown): string {
  assertExactJson(value, []);
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: value has no JSON form');
  return text;
}

/** A high surrogate not followed by a low one, or a low one on its own. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertString(text: string): void {
  // RFC 8785 §3.2.2.2: lone surrogates must stop the canonicaliser.
  if (LONE_SURROGATE.test(text)) throw new TypeError('canonicalJson: lone surrogate in a string');
}

/** Throws unless `value` is null, a boolean, a finite number, a string, or a plain object or array of those. */
function assertExactJson(value: unknown, ancestors: object[]): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') return assertString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return;
  }
  if (typeof value !== 'object') throw new TypeError(`canonicalJson: unsupported type ${typeof value}`);
  if (ancestors.includes(value)) throw new TypeError('canonicalJson: circular structure');
  ancestors.push(value);
  if (Array.isArray(value)) {
    // Holes and undefined items would become null.
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || value[i] === undefined) throw new TypeError('canonicalJson: hole or undefined in an array');
      assertExactJson(value[i], ancestors);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new TypeError('canonicalJson: only plain objects and arrays are allowed');
    for (const [key, item] of Object.entries(value)) {
      assertString(key);
      // An undefined property is dropped, so absent and undefined encode alike.
      if (item !== undefined) assertExactJson(item, ancestors);
    }
  }
  ancestors.pop();
}
