import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode, RecoveryCodePolicy, verifyRecoveryCode } from './recovery-codes';

const CODE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

describe('recovery codes', () => {
  describe('generateRecoveryCodes', () => {
    it('returns ten distinct codes of at least 50 bits, with one hash per code in the same order', () => {
      const { codes, hashes } = generateRecoveryCodes();
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(CODE);
      expect(RecoveryCodePolicy.entropyBits).toBeGreaterThanOrEqual(50);
      expect(hashes).toHaveLength(10);
      codes.forEach((code, i) => expect(verifyRecoveryCode(code, hashes)).toEqual({ ok: true, index: i }));
    });

    it('stores no code in a readable form', () => {
      const { codes, hashes } = generateRecoveryCodes();
      const stored = hashes.join(' ').toLowerCase();
      for (const code of codes) {
        for (const group of code.split('-')) expect(stored).not.toContain(group);
      }
    });

    it('draws every symbol of the 32-symbol alphabet and never i, l, o or u', () => {
      const symbols = new Set(Array.from({ length: 300 }, () => generateRecoveryCodes().codes.join('').replaceAll('-', '')).join(''));
      expect(symbols.size).toBe(32);
      for (const ambiguous of 'ilou') expect(symbols.has(ambiguous)).toBe(false);
    });
  });

  describe('hashRecoveryCode', () => {
    it('salts every hash, so the same code never hashes the same twice', () => {
      const [code] = generateRecoveryCodes().codes;
      const first = hashRecoveryCode(code!);
      const second = hashRecoveryCode(code!);
      expect(first).not.toBe(second);
      expect(verifyRecoveryCode(code!, [first]).ok).toBe(true);
      expect(verifyRecoveryCode(code!, [second]).ok).toBe(true);
    });

    it('refuses to hash something that is not a code', () => {
      expect(() => hashRecoveryCode('password123')).toThrow(TypeError);
    });
  });

  describe('verifyRecoveryCode', () => {
    const { codes, hashes } = generateRecoveryCodes();
    const code = codes[3]!;

    it.each([
      ['upper case', code.toUpperCase()],
      ['no dashes', code.replaceAll('-', '')],
      ['spaces instead of dashes', code.replaceAll('-', ' ')],
      ['surrounding white space and tabs', `  ${code.replaceAll('-', '\t')}\n`],
      ['mixed case and extra dashes', `-${code.toUpperCase().split('').join('-')}-`],
    ])('accepts the code typed with %s', (_, typed) => {
      expect(verifyRecoveryCode(typed, hashes)).toEqual({ ok: true, index: 3 });
    });

    it('reads o as 0 and i or l as 1', () => {
      const stored = hashRecoveryCode('0101-1100-abcd');
      expect(normaliseRecoveryCode('O1oI-lL00-abcd')).toBe('01011100abcd');
      expect(verifyRecoveryCode('O1oI-lL00-ABCD', [stored])).toEqual({ ok: true, index: 0 });
    });

    it('refuses a code presented again once the caller has removed its hash (single use)', () => {
      const first = verifyRecoveryCode(code, hashes);
      expect(first).toEqual({ ok: true, index: 3 });
      const remaining = hashes.filter((_, i) => i !== (first.ok ? first.index : -1));
      expect(verifyRecoveryCode(code, remaining)).toEqual({ ok: false, reason: 'mismatch' });
      expect(verifyRecoveryCode(codes[4]!, remaining)).toEqual({ ok: true, index: 3 });
    });

    it('refuses a code of another set, and any code against no hashes', () => {
      const other = generateRecoveryCodes().codes[0]!;
      expect(verifyRecoveryCode(other, hashes)).toEqual({ ok: false, reason: 'mismatch' });
      expect(verifyRecoveryCode(code, [])).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('refuses a code with one symbol changed', () => {
      const last = code.at(-1)!;
      const changed = code.slice(0, -1) + (last === 'z' ? 'y' : 'z');
      expect(verifyRecoveryCode(changed, hashes)).toEqual({ ok: false, reason: 'mismatch' });
    });

    it.each([
      ['empty', ''],
      ['too short', code.slice(0, -1)],
      ['too long', `${code}0`],
      ['a letter outside the alphabet', `${code.slice(0, -1)}u`],
      ['punctuation', `${code.slice(0, -1)}!`],
      ['a TOTP code', '287082'],
      ['an oversized input', `${code}${' '.repeat(10_000)}`],
    ])('refuses %s as malformed', (_, typed) => {
      expect(verifyRecoveryCode(typed, hashes)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses a code against a tampered hash', () => {
      const [format, salt, digest] = hashes[3]!.split('.');
      const bytes = Buffer.from(digest!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const tampered = [format, salt, bytes.toString('base64url')].join('.');
      expect(verifyRecoveryCode(code, [tampered])).toEqual({ ok: false, reason: 'mismatch' });
      const otherSalt = hashes[4]!.split('.')[1];
      expect(verifyRecoveryCode(code, [[format, otherSalt, digest].join('.')])).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('throws (a bug, not a wrong code) when a stored value is not a recovery code hash', () => {
      for (const corrupt of ['', code, 'rc0.AAAA.BBBB', `rc1.${'A'.repeat(22)}`, `${hashes[0]}.extra`, `rc1.AAAA.${hashes[0]!.split('.')[2]}`]) {
        expect(() => verifyRecoveryCode(code, [hashes[3]!, corrupt]), corrupt).toThrow(TypeError);
      }
    });
  });
});
