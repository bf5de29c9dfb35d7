import { z } from 'zod';
import { ConflictError } from '../kernel/errors';
import { openSealed, seal, SealedValueError, type RecordIdentity } from '../kernel/keys/aead';
import { cacheKeyOf, DataKeyCache, type DataKeyCacheOptions } from '../kernel/keys/data-key-cache';
import type { EncryptionContext, KeyProvider } from '../kernel/keys/key-provider';
import { KeyPurposes } from '../kernel/keys/purposes';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';

/**
 * Per-user data keys (docs/crypto.md, "PII"): at signup the PII key (KMS) makes a 256-bit data key
 * for the user, bound to `{purpose: user-pii, user}`; only its wrapped form is stored, in an item
 * of its own (`USER#<id>` / `DATAKEY`). Every piece of the user's personal data is sealed with it
 * (AES-256-GCM, `rmp1`), for a record identity naming the user and the field, so a value moved to
 * another user or field fails to open. Deleting that one item shreds them all: no copy of the
 * sealed values, in the table or elsewhere, can be opened again.
 */

/** The personal data of a user, each sealed for its own field. */
export type PiiField = 'email' | 'name' | 'totp-secret' | 'session-ip' | 'session-user-agent';

/** What a sealed value is bound to besides its user and field: a session's values name the session. */
export interface PiiScope {
  readonly session?: string;
}

export const userKeyContext = (userId: string): EncryptionContext => ({ purpose: KeyPurposes.userPii, user: userId });

/** The wrapped data key of a user, at `USER#<userId>` / `DATAKEY`. Nothing in it is secret. */
export const UserDataKeyRecord = z.object({
  userId: z.string(),
  /** The data key wrapped by the PII key with `userKeyContext(userId)` (base64). */
  wrapped: z.string(),
  rootKeyId: z.string(),
  createdAt: z.string(),
});
export type UserDataKeyRecord = z.output<typeof UserDataKeyRecord>;

const UserDataKeys = defineEntity({ name: 'user data key', schema: UserDataKeyRecord, key: Keys.userDataKey });

/** The user's data key is gone (the account was deleted): what it sealed cannot be read any more. */
export class UserDataUnavailableError extends ConflictError {
  constructor() {
    super("This account's personal data can no longer be read: the account was deleted.");
  }
}

const KEY_VERSION = 1;

/** An unwrapped user data key: seals and opens that user's personal data, nothing else. */
export class UserKey {
  readonly #ref: string;
  readonly #material: Uint8Array;

  constructor(
    readonly userId: string,
    material: Uint8Array,
  ) {
    this.#ref = `user:${userId}:pii:v${KEY_VERSION}`;
    this.#material = material;
  }

  #identity(field: PiiField, scope: PiiScope): RecordIdentity {
    return { kind: 'user-pii', user: this.userId, field, ...(scope.session ? { session: scope.session } : {}) };
  }

  /** Seals `value` as the user's `field` (and, for session details, that session's). */
  seal(field: PiiField, value: string, scope: PiiScope = {}): string {
    return seal(value, this.#identity(field, scope), { ref: this.#ref, material: this.#material });
  }

  /** Opens what `seal` sealed for the same user, field and scope. @throws SealedValueError */
  open(field: PiiField, sealed: string, scope: PiiScope = {}): string {
    return openSealed(sealed, this.#identity(field, scope), { ref: this.#ref, material: this.#material }).toString('utf8');
  }
}

/** A data key as stored: wrapped by the PII key for its user (`userKeyContext`). Nothing in it is secret. */
export type WrappedUserKey = Pick<UserDataKeyRecord, 'wrapped' | 'rootKeyId'>;

/** A new data key for a user-to-be: the key to seal with, and its wrapped form to store (`storeUserKeyWrite`). */
export async function generateUserKey(piiKeys: KeyProvider, userId: string): Promise<{ key: UserKey; wrapped: WrappedUserKey }> {
  const dataKey = await piiKeys.generateDataKey(userKeyContext(userId));
  return { key: new UserKey(userId, dataKey.plaintext), wrapped: { wrapped: Buffer.from(dataKey.wrapped).toString('base64'), rootKeyId: dataKey.rootKeyId } };
}

/** Unwraps a key that `generateUserKey` made and that is not stored yet (a signup on its way to becoming an account). */
export async function unwrapUserKey(piiKeys: KeyProvider, userId: string, wrapped: WrappedUserKey): Promise<UserKey> {
  if (wrapped.rootKeyId !== piiKeys.rootKeyId) throw new SealedValueError('Wrapped under another PII key.');
  return new UserKey(userId, await piiKeys.decryptDataKey(Buffer.from(wrapped.wrapped, 'base64'), userKeyContext(userId)));
}

/** The write that stores a user's wrapped data key, committed with the account; it fails if the user already has one. */
export const storeUserKeyWrite = (userId: string, wrapped: WrappedUserKey, now: Date): TransactWrite =>
  UserDataKeys.at(userId).create({ userId, ...wrapped, createdAt: now.toISOString() }, () => new ConflictError('The account already has a data key.'));

/**
 * A new data key for a new user: the key to seal the account's fields with, and the write that
 * stores its wrapped form (committed with the account; it fails if the user already has one).
 */
export async function createUserKey(piiKeys: KeyProvider, userId: string, now: Date): Promise<{ key: UserKey; write: TransactWrite }> {
  const { key, wrapped } = await generateUserKey(piiKeys, userId);
  return { key, write: storeUserKeyWrite(userId, wrapped, now) };
}

/** The write that deletes a user's data key: the crypto-shred of everything it sealed. */
export const shredUserKeyWrite = (userId: string): TransactWrite =>
  UserDataKeys.at(userId).delete({ when: Conditions.exists, onConditionFailed: () => new UserDataUnavailableError() });

/**
 * Opens users' data keys, keeping unwrapped ones per instance (`DataKeyCache`: bounded LRU with a
 * TTL), so that steady-state reads of personal data cost no KMS call. The wrapped key is read from
 * the table on every open (one consistent GetItem) and the cache is keyed by it: once the item is
 * deleted, no instance opens that user's data again, whatever it holds in memory.
 */
export class UserKeyRing {
  readonly #table: Table;
  readonly #piiKeys: KeyProvider;
  readonly #cache: DataKeyCache;

  constructor(table: Table, piiKeys: KeyProvider, options: DataKeyCacheOptions = {}) {
    this.#table = table;
    this.#piiKeys = piiKeys;
    this.#cache = new DataKeyCache(options);
  }

  /** The user's data key. @throws UserDataUnavailableError when it no longer exists. */
  async open(userId: string): Promise<UserKey> {
    const record = await this.#table.read(UserDataKeys.at(userId));
    if (!record || record.userId !== userId) throw new UserDataUnavailableError();
    return new UserKey(userId, await this.#cache.get(cacheKeyOf(userId, record.wrapped), () => this.#unwrap(record)));
  }

  /** Drops and zeroes what this instance holds of a user's key (after the account is deleted). */
  forget(userId: string): void {
    this.#cache.forget(`${userId}/`);
  }

  get size(): number {
    return this.#cache.size;
  }

  async #unwrap(record: UserDataKeyRecord): Promise<Uint8Array> {
    if (record.rootKeyId !== this.#piiKeys.rootKeyId) throw new SealedValueError('Wrapped under another PII key.');
    return this.#piiKeys.decryptDataKey(Buffer.from(record.wrapped, 'base64'), userKeyContext(record.userId));
  }
}

const rings = new WeakMap<KeyProvider, UserKeyRing>();

/** The instance's key ring for a platform (one per PII key provider, so each test platform has its own). */
export function userKeyRing(platform: { readonly table: Table; readonly piiKeys: KeyProvider }): UserKeyRing {
  let ring = rings.get(platform.piiKeys);
  if (!ring) {
    ring = new UserKeyRing(platform.table, platform.piiKeys);
    rings.set(platform.piiKeys, ring);
  }
  return ring;
}
