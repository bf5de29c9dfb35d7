import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Single-use recovery codes for when the authenticator is lost: ten random codes, shown once in
 * plaintext, stored only as salted hashes.
 *
 * Why SHA-256 and not argon2 (which passwords get): stretching makes each guess expensive, which
 * matters when the secret has little entropy, as human passwords do. These codes are 60 random bits
 * and each is hashed with a salt of its own (HMAC-SHA-256 keyed by a random 128-bit salt), so a
 * stolen table gives an attacker one 2^60 search per code, no precomputation and no speed-up from
 * attacking many codes at once: at 10^10 SHA-256 a second that is about two GPU-years for a single
 * code, which then replaces only the second factor (the argon2-hashed password is still needed).
 * Online, the login rate limits allow a negligible fraction of 10 in 2^60. Argon2 would add little
 * to that and cost, per attempt, ten slow, memory-hungry hashes (a salted hash cannot be looked up,
 * so every stored code is checked): a cheap way to exhaust the function.
 */

/** Crockford's base32 alphabet: no i, l, o or u, so nothing reads as something else. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const CODE_LENGTH = GROUPS * GROUP_LENGTH;

export const RecoveryCodePolicy = {
  /** Codes per set; generating a new set replaces the old one. */
  count: 10,
  /** 12 symbols of 5 bits each. */
  entropyBits: CODE_LENGTH * 5,
  format: 'xxxx-xxxx-xxxx',
} as const;

const HASH_FORMAT = 'rc1';
const SALT_BYTES = 16;

export interface RecoveryCodeSet {
  /** Show these to the user once; never store or log them. */
  readonly codes: readonly string[];
  /** Store these, in the same order: `rc1.<salt>.<digest>` (base64url). */
  readonly hashes: readonly string[];
}

const digest = (salt: Uint8Array, normalised: string) => createHmac('sha256', salt).update(normalised, 'ascii').digest();

function randomCode(): string {
  // 32 divides 256, so the low five bits of a random byte pick a symbol without bias.
  const symbols = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
  return Array.from({ length: GROUPS }, (_, i) => symbols.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH)).join('-');
}

/** Hashes one recovery code for storage (a fresh salt every time). */
export function hashRecoveryCode(code: string): string {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === undefined) throw new TypeError('not a recovery code');
  const salt = randomBytes(SALT_BYTES);
  return [HASH_FORMAT, salt.toString('base64url'), digest(salt, normalised).toString('base64url')].join('.');
}

/** A new set of recovery codes: the plaintext to show once, and the hashes to store. */
export function generateRecoveryCodes(): RecoveryCodeSet {
  const codes = new Set<string>();
  while (codes.size < RecoveryCodePolicy.count) codes.add(randomCode());
  return { codes: [...codes], hashes: [...codes].map(hashRecoveryCode) };
}

/**
 * What the user typed, reduced to the code's 12 symbols: case, dashes and white space do not
 * matter, and o, i and l are read as 0, 1 and 1 (Crockford's rule). `undefined` when it cannot be a code.
 */
export function normaliseRecoveryCode(input: string): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const normalised = input
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  if (normalised.length !== CODE_LENGTH) return undefined;
  for (const char of normalised) if (!ALPHABET.includes(char)) return undefined;
  return normalised;
}

function parseHash(stored: string): { salt: Buffer; digest: Buffer } {
  const [format, salt, hash, ...rest] = stored.split('.');
  if (format !== HASH_FORMAT || !salt || !hash || rest.length > 0) throw new TypeError('not a stored recovery code hash');
  const parsed = { salt: Buffer.from(salt, 'base64url'), digest: Buffer.from(hash, 'base64url') };
  if (parsed.salt.byteLength !== SALT_BYTES || parsed.digest.byteLength !== 32) throw new TypeError('not a stored recovery code hash');
  return parsed;
}

/**
 * The outcome of checking a recovery code. `index` is the matched entry of the hashes given, which
 * the caller deletes (or marks used) with a conditional write so the code cannot be used twice.
 */
export type RecoveryCodeVerification =
  | { readonly ok: true; readonly index: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' };

/**
 * Checks what the user typed against the stored hashes of their unused codes. Every hash is
 * computed and compared in constant time, whichever matches. Throws on a stored value that is not
 * a recovery code hash (corrupt data is a bug, never a wrong code).
 *
 * @example
 * const result = verifyRecoveryCode(body.code, user.recoveryCodeHashes);
 * if (!result.ok) throw new InvalidCredentialsError();
 * await removeRecoveryCode(user, user.recoveryCodeHashes[result.index]); // conditional on it still being there
 */
export function verifyRecoveryCode(input: string, storedHashes: readonly string[]): RecoveryCodeVerification {
  const stored = storedHashes.map(parseHash);
  const normalised = normaliseRecoveryCode(input);
  if (normalised === undefined) return { ok: false, reason: 'malformed' };
  let index = -1;
  stored.forEach((entry, i) => {
    if (timingSafeEqual(digest(entry.salt, normalised), entry.digest) && index < 0) index = i;
  });
  return index < 0 ? { ok: false, reason: 'mismatch' } : { ok: true, index };
}
