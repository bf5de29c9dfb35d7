import { hash, parseOptions, verify, type Algorithm, type Version } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/**
 * Passwords: the policy a new password must meet, and argon2id hashing (OWASP's minimum
 * configuration, m=19 MiB, t=2, p=1) with the parameters stored in the PHC string, so hashes made
 * under older parameters still verify and can be upgraded at the next login.
 *
 * Every password is normalised to NFC before it is counted, compared or hashed: the same password
 * typed on two keyboards (a composed `é` or `e` + combining accent) is one password.
 */

/** Lengths in Unicode code points of the NFC form (NIST SP 800-63B: each code point counts as one). */
export const PasswordLength = { min: 12, max: 256 } as const;

export const PasswordRejections = ['too_short', 'too_long', 'too_common', 'contains_email'] as const;
export type PasswordRejection = (typeof PasswordRejections)[number];

/** Client-facing text per rejection, for the route's per-field 400 (`body.password`). */
export const PasswordRejectionMessages: Readonly<Record<PasswordRejection, string>> = {
  too_short: `Use at least ${PasswordLength.min} characters.`,
  too_long: `Use at most ${PasswordLength.max} characters.`,
  too_common: 'This password is on a list of commonly used passwords; choose another.',
  contains_email: 'The password must not contain your email address.',
};

export type PasswordPolicyResult = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly PasswordRejection[] };

/**
 * Local parts shorter than this are not looked for: `al@…` would refuse every password that
 * contains "al", and a 12-character password built around a 3-letter name is not the weakness
 * this rule is about.
 */
const MIN_EMAIL_LOCAL_PART = 4;

/** The argon2id parameters of new hashes. Raising one makes `needsRehash` true for older hashes. */
export const Argon2idParameters = {
  /** KiB */
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  /** Bytes of output. */
  outputLen: 32,
} as const;

// The package declares `Algorithm` and `Version` as const enums, which `isolatedModules` cannot
// read, and its native binding exports them as empty objects: their values, spelled out.
const ARGON2ID = 2 as Algorithm.Argon2id;
const VERSION_0X13 = 1 as Version.V0x13;
const SALT_BYTES = 16;

const HASH_OPTIONS = { ...Argon2idParameters, algorithm: ARGON2ID, version: VERSION_0X13 } as const;

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * The ~49,000 common passwords of @zxcvbn-ts/language-common, lower-cased, loaded on first use:
 * decompressing the list costs about 50 ms, which logins (the hot path of the identity function)
 * should not pay at cold start. A dynamic import stays lazy in the esbuild bundle too.
 */
function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common'].map((p) => p.normalize('NFC').toLowerCase())),
    (error: unknown) => {
      commonPasswords = undefined; // a failed load is retried, not cached
      throw error;
    },
  );
  return commonPasswords;
}

const codePoints = (value: string): number => {
  let count = 0;
  for (const _ of value) count++;
  return count;
};

/**
 * Checks a new password (registration, change, reset) against the policy and returns every rule it
 * breaks, so the client can show them all at once.
 *
 * @example
 * const result = await checkPasswordPolicy(body.password, { email: body.email });
 * if (!result.ok) throw new ValidationError(result.reasons.map((r) => ({ path: 'body.password', message: PasswordRejectionMessages[r] })));
 */
export async function checkPasswordPolicy(password: string, account: { readonly email?: string } = {}): Promise<PasswordPolicyResult> {
  const normalised = password.normalize('NFC');
  const length = codePoints(normalised);
  // An over-long value is not looked at further: the limit exists to bound the work done on it.
  if (length > PasswordLength.max) return { ok: false, reasons: ['too_long'] };

  const reasons: PasswordRejection[] = [];
  if (length < PasswordLength.min) reasons.push('too_short');
  const folded = normalised.toLowerCase();
  if ((await loadCommonPasswords()).has(folded)) reasons.push('too_common');
  const localPart = emailLocalPart(account.email);
  if (localPart !== undefined && folded.includes(localPart)) reasons.push('contains_email');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

function emailLocalPart(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const at = email.lastIndexOf('@');
  const localPart = (at < 0 ? email : email.slice(0, at)).trim().normalize('NFC').toLowerCase();
  return codePoints(localPart) >= MIN_EMAIL_LOCAL_PART ? localPart : undefined;
}

/** Hashes a password with argon2id under `Argon2idParameters`; the PHC string carries salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), HASH_OPTIONS);
}

/** Whether `password` matches a stored PHC hash; false, never an exception, for a hash that cannot be read. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password.normalize('NFC'));
  } catch {
    return false;
  }
}

/**
 * Whether a stored hash was made with weaker settings than new hashes get (another algorithm or
 * version, less memory, fewer passes, shorter output), so that a successful login re-hashes it.
 * A hash that cannot be parsed needs replacing too. Stronger parameters are kept, never lowered.
 */
export function needsRehash(storedHash: string): boolean {
  try {
    const stored = parseOptions(storedHash);
    return (
      stored.algorithm !== HASH_OPTIONS.algorithm ||
      stored.version !== HASH_OPTIONS.version ||
      stored.memoryCost < HASH_OPTIONS.memoryCost ||
      stored.timeCost < HASH_OPTIONS.timeCost ||
      stored.parallelism < HASH_OPTIONS.parallelism ||
      stored.outputLen < HASH_OPTIONS.outputLen ||
      stored.saltLen < SALT_BYTES
    );
  } catch {
    return true;
  }
}

let dummyHash: string | undefined;

/** PHC strings use standard base64 without padding (not base64url). */
const phcBase64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

/**
 * A PHC string with the current parameters, a random salt and a random digest that no password
 * produces. Verifying against it costs exactly what verifying a real hash costs (argon2 runs over
 * the salt with the parameters it names, then compares), and building it needs no hashing, so the
 * first unknown email of an instance is not slower than the rest either.
 */
function dummyPasswordHash(): string {
  dummyHash ??= [
    '',
    'argon2id',
    'v=19',
    `m=${Argon2idParameters.memoryCost},t=${Argon2idParameters.timeCost},p=${Argon2idParameters.parallelism}`,
    phcBase64(randomBytes(SALT_BYTES)),
    phcBase64(randomBytes(Argon2idParameters.outputLen)),
  ].join('$');
  return dummyHash;
}

/**
 * Spends the time of a real `verifyPassword` and returns false: the login path calls it when no
 * account has the email, so "unknown email" and "wrong password" cannot be told apart by timing.
 *
 * @example
 * const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  // Not through verifyPassword: a dummy the library could not read would fail fast, and silently.
  await verify(dummyPasswordHash(), password.normalize('NFC'));
  return false;
}
