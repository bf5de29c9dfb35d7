import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConflictError } from '../kernel/errors';
import { Keys } from '../kernel/storage/keys';
import { Conditions } from '../kernel/storage/conditions';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { type Table } from '../kernel/storage/table';
import type { EmailIndex } from '../kernel/accounts/email-index';
import type { UserKey, UserKeyRing } from './user-keys';

/**
 * An account, at `USER#<userId>` / `PROFILE`. No personal data is stored in the clear: the address
 * and the name are sealed under the user's data key; the address's lookup hash is kept to find the
 * account and to compare addresses.
 */
export const UserRecord = z.object({
  userId: z.string(),
  /** The address's lookup hash (`EmailIndex.lookupHash`; also the key of the `EMAIL#` claim). */
  emailHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The address, sealed under the user's data key (field `email`). */
  sealedEmail: z.string(),
  /** The display name, sealed under the user's data key (field `name`). */
  sealedName: z.string(),
  /** argon2id PHC string (parameters embedded, so they can be raised later). */
  passwordHash: z.string(),
  emailVerified: z.boolean(),
  emailVerifiedAt: z.string().optional(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  passwordChangedAt: z.string(),
  /** Set when account deletion began: the account joins no organization any more. */
  deletionStartedAt: z.string().optional(),
  version: z.number(),
});
export type UserRecord = z.output<typeof UserRecord>;

/** The personal data of an account, opened with its data key. */
export interface UserPii {
  readonly email: string;
  readonly name: string;
}

const EmailLookup = z.object({ userId: z.string() });

export const newUserId = (): string => `u_${randomBytes(16).toString('hex')}`;

/** Thrown when signing up with an address that already has an account (never shown to the client). */
export class EmailTakenError extends ConflictError {
  constructor() {
    super('An account with this email already exists.');
  }
}

/**
 * An account stored by a version of Rampart before personal data was sealed (its address and name
 * in the clear, no data key). Such accounts are not migrated: they answer this instead of a 500.
 */
export class OutdatedAccountError extends ConflictError {
  constructor() {
    super('This account was created by an older version of Rampart and cannot be used; start again with a fresh local data directory.');
  }
}

const StoredProfile = z.looseObject({ sealedEmail: z.unknown().optional() });

/** @throws OutdatedAccountError for an account from before sealed profiles. */
export async function getUser(table: Table, userId: string): Promise<UserRecord | undefined> {
  const item = await table.get(Keys.user(userId), StoredProfile);
  if (!item) return undefined;
  if (item.sealedEmail === undefined) throw new OutdatedAccountError();
  return UserRecord.parse(item);
}

export async function findUserByEmail(table: Table, emailIndex: EmailIndex, email: string): Promise<UserRecord | undefined> {
  const lookup = await table.get(Keys.userByEmail(await emailIndex.lookupHash(email)), EmailLookup);
  return lookup ? getUser(table, lookup.userId) : undefined;
}

/** Opens the account's address and name. @throws UserDataUnavailableError once the account was deleted. */
export async function openUserPii(ring: UserKeyRing, user: UserRecord): Promise<UserPii> {
  const key = await ring.open(user.userId);
  return { email: key.open('email', user.sealedEmail), name: key.open('name', user.sealedName) };
}

/** The account fields as given at signup, before sealing. */
export interface NewUser extends Omit<UserRecord, 'version' | 'emailHash' | 'sealedEmail' | 'sealedName'> {
  readonly email: string;
  readonly name: string;
}

/**
 * The writes that create an account (sealed under `key`, the user's new data key) and claim its
 * address by its lookup hash; the address claim fails if taken.
 */
export async function createUserWrites(user: NewUser, key: UserKey, emailIndex: EmailIndex): Promise<TransactWrite[]> {
  const { email, name, ...rest } = user;
  const emailHash = await emailIndex.lookupHash(email);
  const record = { ...rest, emailHash, sealedEmail: key.seal('email', email), sealedName: key.seal('name', name) };
  return [
    Writes.putVersioned({ ...Keys.user(user.userId), ...record }, 0),
    Writes.put({ ...Keys.userByEmail(emailHash), userId: user.userId }, Conditions.notExists, () => new EmailTakenError()),
  ];
}

/** Replaces a user under optimistic locking (the version read is the version expected). */
export function updateUserWrite(user: UserRecord): TransactWrite {
  const { version, ...rest } = user;
  return Writes.putVersioned({ ...Keys.user(user.userId), ...rest }, version);
}

/** The public view of an account: what `GET /v1/me` returns. */
export const MeView = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
});
export const meView = (user: UserRecord, pii: UserPii): z.output<typeof MeView> => ({
  userId: user.userId,
  email: pii.email,
  name: pii.name,
  emailVerified: user.emailVerified,
  mfaEnabled: user.mfaEnabled,
  createdAt: user.createdAt,
});
