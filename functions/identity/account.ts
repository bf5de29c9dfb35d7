import { z } from 'zod';
import type { EmailIndex } from '../kernel/accounts/email-index';
import { Users, type UserRecord } from '../kernel/accounts/user-record';
import { ConflictError, UnauthenticatedError, ValidationError } from '../kernel/errors';
import type { AnyRouteContext } from '../kernel/http/implementation';
import { FreeText } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { containsEmail, containsEmailIssue } from './password-policy';
import { userKeyRing, type UserKey, type UserKeyRing } from './user-keys';

/**
 * Accounts: the profile (the kernel's `Users`), the claim of its address, the personal data sealed
 * under the user's data key, and the rules a password follows.
 */

/** Checked in full by the password policy; the schema only bounds what reaches argon2. */
export const Password = z.string().min(1).max(1024);
export const Name = FreeText({ max: 100 });

/** The personal data of an account, opened with its data key. */
export interface UserPii {
  readonly email: string;
  readonly name: string;
}

/** The claim of an address, by its lookup hash: it makes addresses unique and finds their account. */
const EmailClaims = defineEntity({ name: 'email claim', schema: z.object({ userId: z.string() }), key: Keys.userByEmail });

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

/** Read loosely first, so that a profile from before sealed profiles is told apart from a broken one. */
const StoredProfile = z.looseObject({ sealedEmail: z.unknown().optional() });

/** @throws OutdatedAccountError for an account from before sealed profiles. */
export async function getUser(table: Table, userId: string): Promise<UserRecord | undefined> {
  const item = await table.get(Users.key(userId), StoredProfile);
  if (!item) return undefined;
  if (item.sealedEmail === undefined) throw new OutdatedAccountError();
  return Users.schema.parse(item);
}

export async function findUserByEmail(table: Table, emailIndex: EmailIndex, email: string): Promise<UserRecord | undefined> {
  return findUserByEmailHash(table, await emailIndex.lookupHash(email));
}

/** The account that claims the address with this lookup hash (`EmailIndex.lookupHash`). */
export async function findUserByEmailHash(table: Table, emailHash: string): Promise<UserRecord | undefined> {
  const userId = await findUserIdByEmailHash(table, emailHash);
  return userId ? getUser(table, userId) : undefined;
}

/** The id of the account that claims the address with this lookup hash, if any. */
export async function findUserIdByEmailHash(table: Table, emailHash: string): Promise<string | undefined> {
  return (await table.read(EmailClaims.at(emailHash)))?.userId;
}

/**
 * The id read when an address has no account, so that a login does the same reads either way: a
 * well-formed user id that no account holds (ids are random, and this one is all zeros).
 */
export const NO_ACCOUNT_USER_ID = `${Ids.user.prefix}${'0'.repeat(32)}`;

/**
 * The signed-in user's account. A deleted account's sessions go with it, so this is a backstop: a
 * session that outlived its account has ended all the same (401, never "wrong password").
 */
export async function requireUser(ctx: AnyRouteContext): Promise<UserRecord> {
  const user = ctx.principal?.type === 'user' ? await getUser(ctx.platform.table, ctx.principal.userId) : undefined;
  if (!user) throw new UnauthenticatedError('The session has ended; log in again.');
  return user;
}

/** Opens the account's address and name. @throws UserDataUnavailableError once the account was deleted. */
export async function openUserPii(ring: UserKeyRing, user: UserRecord): Promise<UserPii> {
  const key = await ring.open(user.userId);
  return { email: key.open('email', user.sealedEmail), name: key.open('name', user.sealedName) };
}

/** The account's address and name, opened with its data key (one KMS call per instance and TTL). */
export const piiOf = (ctx: AnyRouteContext, user: UserRecord): Promise<UserPii> => openUserPii(userKeyRing(ctx.platform), user);

/** The account fields as given at signup, before sealing. */
export interface NewUser extends Omit<UserRecord, 'version' | 'emailHash' | 'sealedEmail' | 'sealedName'> {
  readonly email: string;
  readonly name: string;
}

/**
 * The writes that create an account (sealed under `key`, the user's new data key) and claim its
 * address by its lookup hash (`EmailIndex.lookupHash` of `user.email`); the address claim fails if taken.
 */
export function createUserWrites(user: NewUser, key: UserKey, emailHash: string): TransactWrite[] {
  const { email, name, ...rest } = user;
  const record = { ...rest, emailHash, sealedEmail: key.seal('email', email), sealedName: key.seal('name', name) };
  return [Users.at(user.userId).putVersioned(record, 0), EmailClaims.at(emailHash).create({ userId: user.userId }, () => new EmailTakenError())];
}

/** Replaces a user under optimistic locking (the version read is the version expected). */
export const updateUserWrite = (user: UserRecord): TransactWrite => Users.at(user.userId).replace(user);

/** Releases the account's address (only if the claim is still the account's own). */
export const releaseEmailWrite = (user: UserRecord): TransactWrite =>
  EmailClaims.at(user.emailHash).delete({ when: Conditions.absentOrHeldBy('userId', user.userId) });

/**
 * The one rule of the password policy that needs the account (`NewPassword` in the request schema
 * checks the others): a 400 on `field` when the password contains the account's address.
 */
export function assertPasswordFreeOfEmail(password: string, field: string, email: string): void {
  if (containsEmail(password, email)) throw new ValidationError([containsEmailIssue(field)]);
}

/** The public view of an account: what `GET /v1/me` returns. */
export const MeView = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
}).meta({ id: 'Account' });
export const meView = (user: UserRecord, pii: UserPii): z.output<typeof MeView> => ({
  userId: user.userId,
  email: pii.email,
  name: pii.name,
  emailVerified: user.emailVerified,
  mfaEnabled: user.mfaEnabled,
  createdAt: user.createdAt,
});
