import * as argon2 from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPasswordPolicy, PasswordLength, PasswordRejectionMessages, PasswordRejections } from './password-policy';
import {
  Argon2idParameters,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords';

// The real argon2, observed: the dummy-verify tests look at what it was asked to verify.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...actual, verify: vi.fn(actual.verify) };
});

/** Twelve ASCII characters on no common list. */
const TWELVE = 'kV8#qz!Lm2@w';
const CURRENT_PHC_PREFIX = `$argon2id$v=19$m=${Argon2idParameters.memoryCost},t=${Argon2idParameters.timeCost},p=${Argon2idParameters.parallelism}$`;
const GRINNING_FACE = '\u{1F600}'; // one code point, two UTF-16 code units
const E_ACUTE_COMPOSED = '\u00E9';
const E_ACUTE_DECOMPOSED = 'e\u0301';

const ascii = (length: number): string => TWELVE.repeat(Math.ceil(length / TWELVE.length)).slice(0, length);

describe('passwords', () => {
  afterEach(() => vi.mocked(argon2.verify).mockClear());

  describe('checkPasswordPolicy', () => {
    it('refuses 11 code points as too short and accepts 12', async () => {
      expect(await checkPasswordPolicy(ascii(11))).toEqual({ ok: false, reasons: ['too_short'] });
      expect(await checkPasswordPolicy(ascii(12))).toEqual({ ok: true });
    });

    it('accepts 256 code points and refuses 257 as too long', async () => {
      expect(await checkPasswordPolicy(ascii(256))).toEqual({ ok: true });
      expect(await checkPasswordPolicy(ascii(257))).toEqual({ ok: false, reasons: ['too_long'] });
    });

    it('counts an emoji as one character, not as its two UTF-16 units', async () => {
      expect(await checkPasswordPolicy(ascii(11) + GRINNING_FACE)).toEqual({ ok: true });
      expect(await checkPasswordPolicy(ascii(10) + GRINNING_FACE)).toEqual({ ok: false, reasons: ['too_short'] });
      expect(await checkPasswordPolicy(ascii(255) + GRINNING_FACE)).toEqual({ ok: true });
      expect(await checkPasswordPolicy(ascii(256) + GRINNING_FACE)).toEqual({ ok: false, reasons: ['too_long'] });
    });

    it('counts the NFC form: a decomposed é is one character', async () => {
      expect(await checkPasswordPolicy(ascii(11) + E_ACUTE_DECOMPOSED)).toEqual({ ok: true });
      // 12 code points as typed, 11 once composed
      expect(await checkPasswordPolicy(ascii(10) + E_ACUTE_DECOMPOSED)).toEqual({ ok: false, reasons: ['too_short'] });
    });

    it('refuses a password of the common-password list, whatever its case', async () => {
      const common = 'password1234';
      expect(dictionary['passwords-common']).toContain(common);
      expect(await checkPasswordPolicy(common)).toEqual({ ok: false, reasons: ['too_common'] });
      expect(await checkPasswordPolicy('PassWord1234')).toEqual({ ok: false, reasons: ['too_common'] });
    });

    it('refuses a password that contains the email’s local part, in any case', async () => {
      const email = 'Alice.Smith@example.com';
      expect(await checkPasswordPolicy('alice.smith', { email })).toEqual({ ok: false, reasons: ['too_short', 'contains_email'] });
      expect(await checkPasswordPolicy('my-ALICE.SMITH-2026', { email })).toEqual({ ok: false, reasons: ['contains_email'] });
      expect(await checkPasswordPolicy(TWELVE, { email })).toEqual({ ok: true });
    });

    it('ignores local parts too short to mean anything (al@…)', async () => {
      expect(await checkPasswordPolicy(`al-${TWELVE}`, { email: 'al@example.com' })).toEqual({ ok: true });
    });

    it('returns every rule broken at once', async () => {
      expect(await checkPasswordPolicy('password')).toEqual({ ok: false, reasons: ['too_short', 'too_common'] });
    });

    it('has a client message for every reason', () => {
      for (const reason of PasswordRejections) expect(PasswordRejectionMessages[reason]).toMatch(/\w/);
    });
  });

  describe('hashPassword', () => {
    it('produces an argon2id PHC string with m=19456, t=2, p=1 and a 16-byte salt', async () => {
      const stored = await hashPassword(TWELVE);
      expect(stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
      expect(argon2.parseOptions(stored)).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32, saltLen: 16 });
    });

    it('salts every hash: the same password hashes differently twice', async () => {
      expect(await hashPassword(TWELVE)).not.toBe(await hashPassword(TWELVE));
    });
  });

  describe('verifyPassword', () => {
    it('accepts the password and refuses another, including one differing only in case', async () => {
      const stored = await hashPassword(TWELVE);
      expect(await verifyPassword(stored, TWELVE)).toBe(true);
      expect(await verifyPassword(stored, `${TWELVE}x`)).toBe(false);
      expect(await verifyPassword(stored, TWELVE.toUpperCase())).toBe(false);
    });

    it('verifies a password typed with a decomposed é against one hashed with a composed é', async () => {
      const stored = await hashPassword(`caf${E_ACUTE_COMPOSED}-${TWELVE}`);
      expect(await verifyPassword(stored, `caf${E_ACUTE_DECOMPOSED}-${TWELVE}`)).toBe(true);
    });

    it.each([
      ['empty', ''],
      ['not a PHC string', 'not-a-hash'],
      ['truncated', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0'],
      ['digest too short', '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
      ['bcrypt', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'],
    ])('returns false, without throwing, for a malformed hash (%s)', async (_, stored) => {
      await expect(verifyPassword(stored, TWELVE)).resolves.toBe(false);
    });
  });

  describe('needsRehash', () => {
    it('is false for a hash made now', async () => {
      expect(needsRehash(await hashPassword(TWELVE))).toBe(false);
    });

    it.each([
      ['less memory', { memoryCost: 4096 }],
      ['fewer passes', { timeCost: 1 }],
      ['a shorter digest', { outputLen: 16 }],
      ['argon2i', { algorithm: 1 as argon2.Algorithm }],
    ])('is true for a hash made with %s', async (_, weaker) => {
      const stored = await argon2.hash(TWELVE, { ...Argon2idParameters, ...weaker });
      expect(await verifyPassword(stored, TWELVE)).toBe(true); // still verifies: login can upgrade it
      expect(needsRehash(stored)).toBe(true);
    });

    it('keeps a hash made with stronger parameters', async () => {
      const stored = await argon2.hash(TWELVE, { ...Argon2idParameters, memoryCost: 2 * Argon2idParameters.memoryCost, timeCost: 3 });
      expect(needsRehash(stored)).toBe(false);
    });

    it('is true for a hash it cannot read', () => {
      expect(needsRehash('not-a-hash')).toBe(true);
    });
  });

  describe('verifyAgainstDummy', () => {
    it('runs argon2 verify on a readable hash with the current parameters, for the NFC password, and answers false', async () => {
      const real = argon2.parseOptions(await hashPassword(TWELVE));
      await expect(verifyAgainstDummy(`caf${E_ACUTE_DECOMPOSED}-${TWELVE}`)).resolves.toBe(false);

      expect(argon2.verify).toHaveBeenCalledTimes(1);
      const [dummy, password] = vi.mocked(argon2.verify).mock.calls[0]!;
      expect(String(dummy).startsWith(CURRENT_PHC_PREFIX)).toBe(true);
      expect(argon2.parseOptions(dummy)).toEqual(real); // algorithm, version, m, t, p, digest and salt lengths
      expect(password).toBe(`caf${E_ACUTE_COMPOSED}-${TWELVE}`);
    });

    it('uses one dummy hash per instance', async () => {
      await verifyAgainstDummy(TWELVE);
      await verifyAgainstDummy(ascii(20));
      const [first, second] = vi.mocked(argon2.verify).mock.calls.map(([dummy]) => dummy);
      expect(second).toBe(first);
    });

    it('takes as long as a real verify, within a generous factor (interleaved medians)', async () => {
      const stored = await hashPassword(TWELVE);
      const elapsed = async (run: () => Promise<unknown>) => {
        const start = performance.now();
        await run();
        return performance.now() - start;
      };
      const real: number[] = [];
      const dummy: number[] = [];
      for (let i = 0; i < 7; i++) {
        real.push(await elapsed(() => verifyPassword(stored, 'a wrong password')));
        dummy.push(await elapsed(() => verifyAgainstDummy('a wrong password')));
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
      const ratio = median(dummy) / median(real);
      // Loose on purpose (shared CI cores): it catches a dummy that skips argon2 (ratio ≈ 0), not jitter.
      expect(ratio).toBeGreaterThan(1 / 3);
      expect(ratio).toBeLessThan(3);
    });
  });
});
