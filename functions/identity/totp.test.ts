import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  hotp,
  otpauthUri,
  RampartTotp,
  timeStep,
  totp,
  TotpAlgorithms,
  type TotpAlgorithm,
  verifyTotp,
} from './totp';

interface Rfc6238Vector {
  readonly algorithm: TotpAlgorithm;
  readonly secretAscii: string;
  readonly time: number;
  readonly step: number;
  readonly digits: number;
  readonly code: string;
}

const readVectors = <T>(name: string): { source: string; vectors: T[] } =>
  JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8'));

const rfc6238 = readVectors<Rfc6238Vector>('rfc6238-totp.json');
const rfc4648 = readVectors<{ input: string; base32: string }>('rfc4648-base32.json');

/** RFC 6238's SHA-1 key, "12345678901234567890", as an authenticator app would receive it. */
const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');
const RFC_SECRET = base32Encode(RFC_KEY);

const PERIOD_MS = RampartTotp.period * 1000;
/** A time well inside a step, so that ±1 step stays inside the neighbouring steps. */
const NOW = 1_700_000_000_000 + 12_345;
const CURRENT = timeStep(NOW);
const codeAt = (step: number) => hotp(RFC_KEY, step, RampartTotp);

describe('totp', () => {
  describe('hotp and totp (RFC 6238 Appendix B)', () => {
    it('reads every published vector, for every algorithm', () => {
      expect(rfc6238.source).toBe('RFC 6238 Appendix B');
      expect(rfc6238.vectors).toHaveLength(18);
      expect(new Set(rfc6238.vectors.map((v) => v.algorithm))).toEqual(new Set(TotpAlgorithms));
    });

    it.each(rfc6238.vectors)('gives $code for $algorithm at T=$time', (vector) => {
      const key = Buffer.from(vector.secretAscii, 'ascii');
      const options = { algorithm: vector.algorithm, digits: vector.digits, period: vector.step };
      expect(totp(key, vector.time * 1000, options)).toBe(vector.code);
    });

    it('gives 6-digit codes that are the last six digits of the 8-digit ones (same truncation)', () => {
      for (const vector of rfc6238.vectors) {
        const key = Buffer.from(vector.secretAscii, 'ascii');
        expect(totp(key, vector.time * 1000, { algorithm: vector.algorithm, digits: 6 })).toBe(vector.code.slice(-6));
      }
    });

    it('keeps leading zeros', () => {
      const vector = rfc6238.vectors.find((v) => v.code.startsWith('0'))!;
      expect(totp(Buffer.from(vector.secretAscii, 'ascii'), vector.time * 1000, { digits: 8 })).toBe(vector.code);
    });

    it('refuses digit counts outside 6 to 8 and counters that are negative or not integers', () => {
      for (const digits of [0, 5, 9, 6.5]) expect(() => hotp(RFC_KEY, 1, { digits })).toThrow(TypeError);
      for (const counter of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => hotp(RFC_KEY, counter)).toThrow(TypeError);
      expect(() => timeStep(-1)).toThrow(TypeError);
      expect(() => timeStep(0, 0)).toThrow(TypeError);
    });
  });

  describe('verifyTotp', () => {
    it('accepts the 6-digit form of an RFC 6238 code at its time and returns its step', () => {
      // T = 59 s is step 1; the SHA-1 vector there is 94287082.
      expect(verifyTotp(RFC_SECRET, '287082', { now: 59_000, lastUsedStep: undefined })).toEqual({ ok: true, step: 1 });
    });

    it('accepts the current step’s code and returns the current step', () => {
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW, lastUsedStep: undefined })).toEqual({ ok: true, step: CURRENT });
    });

    it('accepts the codes of one step before and one step after, returning the step each matched', () => {
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT - 1), { now: NOW, lastUsedStep: undefined })).toEqual({ ok: true, step: CURRENT - 1 });
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT + 1), { now: NOW, lastUsedStep: undefined })).toEqual({ ok: true, step: CURRENT + 1 });
    });

    it('refuses the codes of two steps before and two steps after', () => {
      for (const step of [CURRENT - 2, CURRENT + 2]) {
        expect(codeAt(step)).not.toBe(codeAt(CURRENT)); // the test would prove nothing otherwise
        expect(verifyTotp(RFC_SECRET, codeAt(step), { now: NOW, lastUsedStep: undefined })).toEqual({ ok: false, reason: 'mismatch' });
      }
    });

    it('accepts exactly the window at a step boundary', () => {
      const boundary = CURRENT * PERIOD_MS; // first millisecond of CURRENT
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT - 1), { now: boundary, lastUsedStep: undefined }).ok).toBe(true);
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT - 2), { now: boundary, lastUsedStep: undefined }).ok).toBe(false);
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT - 1), { now: boundary + PERIOD_MS, lastUsedStep: undefined }).ok).toBe(false);
    });

    it('refuses a code presented twice (replay of the same step), even seconds later in the same step', () => {
      const first = verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW, lastUsedStep: undefined });
      expect(first).toEqual({ ok: true, step: CURRENT });
      const lastUsedStep = first.ok ? first.step : undefined;
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW, lastUsedStep })).toEqual({ ok: false, reason: 'replayed' });
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW + 10_000, lastUsedStep })).toEqual({ ok: false, reason: 'replayed' });
      // …and still in the next step, while the window would otherwise accept it.
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW + PERIOD_MS, lastUsedStep })).toEqual({ ok: false, reason: 'replayed' });
    });

    it('refuses an earlier step’s code once a later step has been used (an intercepted older code)', () => {
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT - 1), { now: NOW, lastUsedStep: CURRENT })).toEqual({ ok: false, reason: 'replayed' });
      // A future code used early burns the current step too.
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT), { now: NOW, lastUsedStep: CURRENT + 1 })).toEqual({ ok: false, reason: 'replayed' });
    });

    it('accepts a later step’s code after an earlier one was used', () => {
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT + 1), { now: NOW, lastUsedStep: CURRENT })).toEqual({ ok: true, step: CURRENT + 1 });
      expect(verifyTotp(RFC_SECRET, codeAt(CURRENT + 1), { now: NOW + PERIOD_MS, lastUsedStep: CURRENT })).toEqual({ ok: true, step: CURRENT + 1 });
    });

    it('refuses a wrong code of the right shape', () => {
      const wrong = String((Number(codeAt(CURRENT)) + 1) % 1_000_000).padStart(6, '0');
      const window = [CURRENT - 1, CURRENT, CURRENT + 1].map(codeAt);
      expect(window).not.toContain(wrong);
      expect(verifyTotp(RFC_SECRET, wrong, { now: NOW, lastUsedStep: undefined })).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('refuses the right code under another secret', () => {
      expect(verifyTotp(generateTotpSecret(), codeAt(CURRENT), { now: NOW, lastUsedStep: undefined }).ok).toBe(false);
    });

    it.each([
      ['empty', ''],
      ['five digits', '28708'],
      ['seven digits', '2870820'],
      ['the 8-digit RFC form', '94287082'],
      ['a letter', '28708a'],
      ['a leading space', ' 287082'],
      ['a trailing newline', '287082\n'],
      ['an inner space', '287 082'],
      ['a sign', '-28708'],
      ['a decimal point', '2870.2'],
      ['full-width digits', '２８７０８２'],
      ['Arabic-Indic digits', '٢٨٧٠٨٢'],
    ])('refuses a code with %s as malformed', (_, code) => {
      expect(verifyTotp(RFC_SECRET, code, { now: 59_000, lastUsedStep: undefined })).toEqual({ ok: false, reason: 'malformed' });
    });

    it('does not look before the first step at the epoch', () => {
      expect(verifyTotp(RFC_SECRET, codeAt(0), { now: 0, lastUsedStep: undefined })).toEqual({ ok: true, step: 0 });
      expect(verifyTotp(RFC_SECRET, codeAt(1), { now: 0, lastUsedStep: undefined })).toEqual({ ok: true, step: 1 });
    });

    it('throws (a bug, not a wrong code) for a secret that is not base32 or shorter than 128 bits', () => {
      expect(() => verifyTotp('not base32!', '123456', { now: NOW, lastUsedStep: undefined })).toThrow(TypeError);
      expect(() => verifyTotp(base32Encode(Buffer.alloc(10)), '123456', { now: NOW, lastUsedStep: undefined })).toThrow(TypeError);
    });
  });

  describe('base32', () => {
    it.each(rfc4648.vectors)('encodes "$input" as RFC 4648 gives it, without the padding', ({ input, base32 }) => {
      const unpadded = base32.replace(/=+$/, '');
      expect(base32Encode(Buffer.from(input, 'ascii'))).toBe(unpadded);
      expect(Buffer.from(base32Decode(unpadded)).toString('ascii')).toBe(input);
    });

    it('round-trips random bytes of every length up to 64', () => {
      for (let length = 0; length <= 64; length++) {
        const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 151 + length * 7) & 0xff));
        const encoded = base32Encode(bytes);
        expect(encoded).toMatch(/^[A-Z2-7]*$/);
        expect(Buffer.from(base32Decode(encoded))).toEqual(bytes);
      }
    });

    it('decodes lower case', () => {
      expect(Buffer.from(base32Decode('mzxw6ytboi')).toString('ascii')).toBe('foobar');
    });

    it.each([
      ['padding', 'MY======'],
      ['a character outside the alphabet', 'MZXW1YTB'],
      ['a space', 'MZXW 6YTB'],
      ['a length no encoder produces', 'MZX'],
      ['non-zero trailing bits', 'MZ'],
    ])('refuses %s', (_, text) => {
      expect(() => base32Decode(text)).toThrow(TypeError);
    });
  });

  describe('generateTotpSecret', () => {
    it('returns 160 random bits as 32 base32 characters', () => {
      const secrets = Array.from({ length: 50 }, generateTotpSecret);
      for (const secret of secrets) {
        expect(secret).toMatch(/^[A-Z2-7]{32}$/);
        expect(base32Decode(secret).byteLength).toBe(20);
      }
      expect(new Set(secrets).size).toBe(secrets.length);
    });
  });

  describe('otpauthUri', () => {
    it('builds the key URI with Rampart’s parameters', () => {
      expect(otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'ada@example.com', issuer: 'Rampart' })).toBe(
        'otpauth://totp/Rampart:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Rampart&algorithm=SHA1&digits=6&period=30',
      );
    });

    it('percent-encodes label and parameters, spaces as %20 and never +', () => {
      const uri = otpauthUri({ secret: RFC_SECRET, account: 'ada lovelace+mfa@example.com', issuer: 'Rampart Dev' });
      expect(uri).not.toMatch(/[ +]/);
      const url = new URL(uri);
      expect(url.protocol).toBe('otpauth:');
      expect(url.host).toBe('totp');
      expect(decodeURIComponent(url.pathname)).toBe('/Rampart Dev:ada lovelace+mfa@example.com');
      expect(url.pathname).toContain('%20');
      expect(url.searchParams.get('issuer')).toBe('Rampart Dev');
    });

    it('cannot be given extra parameters or another issuer through the account name', () => {
      const account = 'mallory@example.com?secret=AAAAAAAAAAAAAAAA&issuer=Evil#x';
      const url = new URL(otpauthUri({ secret: RFC_SECRET, account, issuer: 'Rampart' }));
      expect(url.searchParams.getAll('secret')).toEqual([RFC_SECRET]);
      expect(url.searchParams.getAll('issuer')).toEqual(['Rampart']);
      expect(url.hash).toBe('');
      const [issuer, ...rest] = url.pathname.slice(1).split(':');
      expect(rest).toHaveLength(1); // the account's own characters cannot add a label separator
      expect(decodeURIComponent(issuer!)).toBe('Rampart');
      expect(decodeURIComponent(rest[0]!)).toBe(account);
    });

    it('encodes a colon in the account so the label keeps one separator', () => {
      const url = new URL(otpauthUri({ secret: RFC_SECRET, account: 'a:b@example.com', issuer: 'Rampart' }));
      expect(url.pathname).toBe('/Rampart:a%3Ab%40example.com');
    });

    it('refuses a secret an app could not read, and an empty account or issuer', () => {
      expect(() => otpauthUri({ secret: 'JBSWY3DPEHPK3PX=', account: 'ada@example.com', issuer: 'Rampart' })).toThrow(TypeError);
      expect(() => otpauthUri({ secret: RFC_SECRET, account: '', issuer: 'Rampart' })).toThrow(TypeError);
      expect(() => otpauthUri({ secret: RFC_SECRET, account: 'ada@example.com', issuer: '' })).toThrow(TypeError);
    });
  });
});
