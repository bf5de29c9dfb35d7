import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords: the HOTP core of RFC 4226 with the time counter of RFC 6238, and
 * Rampart's profile of it for authenticator apps (SHA-1, 6 digits, 30 s, one step either side).
 *
 * Ours rather than otplib's, whose codes and base32 totp.reference.test.ts proves ours equal: its
 * verify stops at the first matching step, so its timing tells which step matched, and it cannot
 * tell a replayed code from a wrong one.
 */

export const TotpAlgorithms = ['SHA-1', 'SHA-256', 'SHA-512'] as const;
export type TotpAlgorithm = (typeof TotpAlgorithms)[number];

const HMAC_NAME: Record<TotpAlgorithm, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
/** The `algorithm` parameter of an otpauth:// URI. */
const URI_NAME: Record<TotpAlgorithm, string> = { 'SHA-1': 'SHA1', 'SHA-256': 'SHA256', 'SHA-512': 'SHA512' };

export interface HotpOptions {
  /** @default 'SHA-1' */
  readonly algorithm?: TotpAlgorithm;
  /** RFC 4226 allows 6 to 8. @default 6 */
  readonly digits?: number;
}

export interface TotpOptions extends HotpOptions {
  /** Length of a time step in seconds. @default 30 */
  readonly period?: number;
}

/**
 * What Rampart uses: the parameters every authenticator app understands (most ignore the others),
 * and one step of tolerance either side for clock drift and typing time.
 */
export const RampartTotp = { algorithm: 'SHA-1', digits: 6, period: 30, window: 1, secretBytes: 20 } as const;

function assertDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new TypeError('HOTP codes have 6 to 8 digits');
}

/**
 * An HOTP code (RFC 4226): HMAC of the 8-byte big-endian counter, dynamic truncation, modulo 10^digits.
 *
 * @example hotp(key, 1, { digits: 6 }) // '287082' for RFC 4226's key "12345678901234567890"
 */
export function hotp(key: Uint8Array, counter: number, options: HotpOptions = {}): string {
  const algorithm = options.algorithm ?? 'SHA-1';
  const digits = options.digits ?? 6;
  assertDigits(digits);
  if (!Number.isSafeInteger(counter) || counter < 0) throw new TypeError('HOTP counters are non-negative integers');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HMAC_NAME[algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step (counter) that `nowMs` (milliseconds since the epoch) falls in. */
export function timeStep(nowMs: number, period: number = RampartTotp.period): number {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new TypeError('time must be a non-negative number of milliseconds');
  if (!Number.isInteger(period) || period <= 0) throw new TypeError('the period is a positive number of seconds');
  return Math.floor(nowMs / (period * 1000));
}

/** The TOTP code (RFC 6238) of `key` at `nowMs` (milliseconds since the epoch). */
export function totp(key: Uint8Array, nowMs: number, options: TotpOptions = {}): string {
  return hotp(key, timeStep(nowMs, options.period), options);
}

// RFC 4648 base32, the encoding authenticator apps expect for the secret.
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Base32 (RFC 4648 §6) without padding, as authenticator apps take a TOTP secret. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes unpadded base32 (RFC 4648 §6), either case. Refuses padding, other characters, lengths no
 * encoder produces and non-zero trailing bits, so one secret has exactly one spelling.
 */
export function base32Decode(text: string): Uint8Array {
  const upper = text.toUpperCase();
  if (![0, 2, 4, 5, 7].includes(upper.length % 8)) throw new TypeError('not unpadded base32: impossible length');
  const out = new Uint8Array(Math.floor((upper.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of upper) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new TypeError('not unpadded base32: unexpected character');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new TypeError('not unpadded base32: non-zero trailing bits');
  return out;
}

/** A new TOTP secret: 160 random bits (RFC 4226's recommended length), base32 without padding. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(RampartTotp.secretBytes));
}

export interface VerifyTotpOptions {
  /** The current time, in milliseconds since the epoch (an injected clock: `Date.now()` in production). */
  readonly now: number;
  /** The step of the last code this secret accepted; `undefined` before the first. */
  readonly lastUsedStep: number | undefined;
}

/**
 * The outcome of checking a code. The reasons are for logs and audit; a client is told only that the
 * code was wrong, whichever it is.
 */
export type TotpVerification =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' | 'replayed' };

const MIN_SECRET_BYTES = 16;
const RAMPART_CODE = new RegExp(`^[0-9]{${RampartTotp.digits}}$`);

/**
 * Checks a 6-digit code against a base32 secret at `now`, accepting the current step and one either
 * side, and only a step later than `lastUsedStep`. On success it returns the matched step: the caller
 * must store it as the new `lastUsedStep` with a conditional write (`lastUsedStep < :step`), so two
 * concurrent requests presenting the same code cannot both succeed.
 *
 * All candidates are computed and compared in constant time, whichever matches.
 *
 * @example
 * const result = verifyTotp(factor.secret, body.code, { now: Date.now(), lastUsedStep: factor.lastUsedStep });
 * if (!result.ok) throw new InvalidCredentialsError();
 * await saveLastUsedStep(factor, result.step); // conditional on factor.lastUsedStep < result.step
 */
export function verifyTotp(secret: string, code: string, options: VerifyTotpOptions): TotpVerification {
  const key = base32Decode(secret);
  if (key.byteLength < MIN_SECRET_BYTES) throw new TypeError('TOTP secrets are at least 128 bits (RFC 4226)');
  if (typeof code !== 'string' || !RAMPART_CODE.test(code)) return { ok: false, reason: 'malformed' };
  const presented = Buffer.from(code, 'ascii');
  const current = timeStep(options.now, RampartTotp.period);
  const lastUsed = options.lastUsedStep ?? -1;

  let freshMatch: number | undefined;
  let staleMatch = false;
  for (let offset = -RampartTotp.window; offset <= RampartTotp.window; offset++) {
    const step = current + offset;
    if (step < 0) continue;
    const expected = Buffer.from(hotp(key, step, RampartTotp), 'ascii');
    const equal = timingSafeEqual(expected, presented);
    // Later steps overwrite earlier ones: if two steps share a code, the later one is burnt.
    if (equal && step > lastUsed) freshMatch = step;
    if (equal && step <= lastUsed) staleMatch = true;
  }
  if (freshMatch !== undefined) return { ok: true, step: freshMatch };
  return { ok: false, reason: staleMatch ? 'replayed' : 'mismatch' };
}

export interface OtpauthUriOptions {
  /** The base32 secret (`generateTotpSecret()`). */
  readonly secret: string;
  /** Who the secret belongs to, as the app shows it: the user's email address. */
  readonly account: string;
  /** Whose account it is, e.g. `Rampart`. */
  readonly issuer: string;
}

/**
 * The `otpauth://` URI (Google Authenticator's key URI format) an app scans from a QR code, with
 * Rampart's parameters spelled out. Label parts and parameters are percent-encoded (a space is
 * `%20`, never `+`); the colon between issuer and account is literal.
 *
 * @example
 * otpauthUri({ secret, account: 'ada@example.com', issuer: 'Rampart' })
 * // 'otpauth://totp/Rampart:ada%40example.com?secret=…&issuer=Rampart&algorithm=SHA1&digits=6&period=30'
 */
export function otpauthUri({ secret, account, issuer }: OtpauthUriOptions): string {
  base32Decode(secret); // a secret the app could not read is a bug here, not at the user's phone
  if (!account || !issuer) throw new TypeError('an otpauth URI needs an account and an issuer');
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    ['secret', secret.toUpperCase()],
    ['issuer', issuer],
    ['algorithm', URI_NAME[RampartTotp.algorithm]],
    ['digits', String(RampartTotp.digits)],
    ['period', String(RampartTotp.period)],
  ]
    .map(([name, value]) => `${name}=${encodeURIComponent(value!)}`)
    .join('&');
  return `otpauth://totp/${label}?${query}`;
}
