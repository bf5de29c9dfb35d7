import { hash, parseOptions, verify, type Algorithm, type Version } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/**
 * Password hashing: argon2id (OWASP's minimum configuration, m=19 MiB, t=2, p=1) with the
 * parameters stored in the PHC string, so hashes made under older parameters still verify and can
 * be upgraded at the next login. Passwords are normalised to NFC before they are hashed, as the
 * policy counts them (`password-policy.ts`).
 */

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
