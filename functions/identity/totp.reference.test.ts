import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateSync, NobleCryptoPlugin, ScureBase32Plugin, verifySync, type CryptoPlugin } from 'otplib';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, RampartTotp, timeStep, totp, TotpAlgorithms, type TotpAlgorithm, verifyTotp } from './totp';

// otplib (v13) is the reference: our codes and our base32 must be its codes and its base32.

const OTPLIB_ALGORITHM = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const satisfies Record<TotpAlgorithm, string>;
const base32 = new ScureBase32Plugin();
const randomKey = () => randomBytes(randomInt(16, 65)); // otplib's guardrails: 16 to 64 bytes
const randomAlgorithm = () => TotpAlgorithms[randomInt(TotpAlgorithms.length)]!;

const rfc6238: { vectors: { algorithm: TotpAlgorithm; secretAscii: string; time: number; step: number; digits: number; code: string }[] } = JSON.parse(
  readFileSync(new URL('../../test/vectors/rfc6238-totp.json', import.meta.url), 'utf8'),
);

describe('totp against otplib', () => {
  describe('codes', () => {
    it('otplib gives the RFC 6238 vectors too, so it is a fair reference', () => {
      for (const v of rfc6238.vectors) {
        const secret = Buffer.from(v.secretAscii, 'ascii');
        expect(generateSync({ secret, epoch: v.time, period: v.step, digits: v.digits, algorithm: OTPLIB_ALGORITHM[v.algorithm] })).toBe(v.code);
      }
    });

    it('gives otplib’s HOTP code for random keys, counters, algorithms and lengths', () => {
      for (let i = 0; i < 500; i++) {
        const key = randomKey();
        const counter = i < 10 ? i : randomInt(2 ** 47);
        const algorithm = randomAlgorithm();
        const digits = randomInt(6, 9);
        const expected = generateSync({ secret: key, strategy: 'hotp', counter, algorithm: OTPLIB_ALGORITHM[algorithm], digits });
        expect(hotp(key, counter, { algorithm, digits }), `${key.toString('hex')} @ ${counter}`).toBe(expected);
      }
    });

    it('gives otplib’s TOTP code for random keys and times, at 30 s and other periods', () => {
      for (let i = 0; i < 500; i++) {
        const key = randomKey();
        const nowMs = randomInt(2 ** 42); // to the year 2109
        const period = i % 2 === 0 ? RampartTotp.period : randomInt(1, 301);
        const algorithm = randomAlgorithm();
        const epoch = Math.floor(nowMs / 1000); // otplib counts in seconds
        const expected = generateSync({ secret: key, epoch, period, algorithm: OTPLIB_ALGORITHM[algorithm] });
        expect(totp(key, nowMs, { algorithm, period }), `${key.toString('hex')} @ ${nowMs}`).toBe(expected);
      }
    });
  });

  describe('verifyTotp', () => {
    it('accepts the same codes as otplib with a ±30 s window and afterTimeStep, and reports the same step', () => {
      let accepted = 0;
      for (let i = 0; i < 400; i++) {
        const key = randomBytes(RampartTotp.secretBytes);
        const nowMs = randomInt(1_000_000, 2 ** 42);
        const current = timeStep(nowMs);
        const codeStep = current + randomInt(-2, 3);
        const lastUsedStep = i % 3 === 0 ? undefined : current + randomInt(-2, 2); // otplib refuses one past the window
        const code = hotp(key, codeStep, RampartTotp);
        const window = [current - 1, current, current + 1].map((step) => hotp(key, step, RampartTotp));
        if (new Set(window).size < 3) continue; // a code shared by two steps: ours burns the later, otplib returns the earlier
        const ours = verifyTotp(base32Encode(key), code, { now: nowMs, lastUsedStep });
        const reference = verifySync({
          secret: base32Encode(key),
          token: code,
          epoch: Math.floor(nowMs / 1000),
          epochTolerance: RampartTotp.period * RampartTotp.window,
          ...(lastUsedStep === undefined ? {} : { afterTimeStep: lastUsedStep }),
        });
        expect(ours.ok).toBe(reference.valid);
        if (ours.ok && reference.valid) {
          expect(ours.step).toBe('timeStep' in reference ? reference.timeStep : 'no step');
          accepted++;
        }
      }
      expect(accepted).toBeGreaterThan(50); // both outcomes were exercised
    });
  });

  describe('why verifyTotp stays ours', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    const epoch = 1_700_000_012;
    const current = Math.floor(epoch / RampartTotp.period);

    it('otplib stops at the first matching step, so its work (and time) tells which step matched', () => {
      let hmacs = 0;
      const noble = new NobleCryptoPlugin();
      const counting: CryptoPlugin = {
        name: 'counting',
        algorithms: noble.algorithms,
        hmac: (algorithm, k, data) => (hmacs++, noble.hmac(algorithm, k, data)),
        randomBytes: (length) => noble.randomBytes(length),
        constantTimeEqual: (a, b) => noble.constantTimeEqual(a, b),
      };
      const work = [-1, 0, 1].map((offset) => {
        hmacs = 0;
        const token = hotp(key, current + offset, RampartTotp);
        expect(verifySync({ secret: key, token, epoch, epochTolerance: RampartTotp.period, crypto: counting }).valid).toBe(true);
        return hmacs;
      });
      expect(work).toEqual([1, 2, 3]); // ours computes all three whichever matches
    });

    it('otplib reports a replayed code as plainly invalid; ours says it was replayed, for the audit trail', () => {
      const token = hotp(key, current, RampartTotp);
      expect(verifySync({ secret: key, token, epoch, epochTolerance: RampartTotp.period, afterTimeStep: current })).toEqual({ valid: false });
      expect(verifyTotp(base32Encode(key), token, { now: epoch * 1000, lastUsedStep: current })).toEqual({ ok: false, reason: 'replayed' });
    });
  });

  describe('base32', () => {
    it('encodes every length from 0 to 64 bytes, and random bytes, as otplib does', () => {
      for (let length = 0; length <= 64; length++) {
        const bytes = randomBytes(length);
        expect(base32Encode(bytes)).toBe(base32.encode(bytes));
        expect(Buffer.from(base32Decode(base32Encode(bytes)))).toEqual(Buffer.from(base32.decode(base32Encode(bytes))));
      }
    });

    it('decodes what otplib decodes to the same bytes, refusing only padded spellings that otplib accepts', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz=018 ';
      let both = 0;
      for (let i = 0; i < 20_000; i++) {
        const text = Array.from({ length: randomInt(0, 17) }, () => alphabet[randomInt(alphabet.length)]).join('');
        const attempt = (decode: (s: string) => Uint8Array) => {
          try {
            return Buffer.from(decode(text)).toString('hex');
          } catch {
            return undefined;
          }
        };
        const ours = attempt(base32Decode);
        const reference = attempt((s) => base32.decode(s));
        if (ours !== undefined) {
          expect(reference, text).toBe(ours);
          both++;
        } else if (reference !== undefined) {
          expect(text, 'ours refuses only padding').toContain('=');
        }
      }
      expect(both).toBeGreaterThan(500);
    });

    it('otplib accepts RFC 4648 padding, which ours refuses so that a secret has one spelling', () => {
      expect(Buffer.from(base32.decode('MZXW6===')).toString('ascii')).toBe('foo');
      expect(() => base32Decode('MZXW6===')).toThrow(TypeError);
    });
  });
});
