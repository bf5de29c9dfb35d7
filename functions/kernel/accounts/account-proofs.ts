import { ConflictError } from '../errors';
import { Conditions } from '../storage/conditions';
import type { Table, TransactWrite } from '../storage/table';
import { Users } from './user-record';

/**
 * What other domains may rely on about an account: that its address was proved (compared by the
 * address's lookup hash, `EmailIndex.lookupHash`: the address itself is sealed under the user's
 * data key), and that it is not being deleted.
 */

/**
 * The lookup hash of the address a user proved they own, or `undefined` when the account does not
 * exist, has not verified its address, predates hashed addresses, or is being deleted.
 */
export async function verifiedEmailHashOf(table: Table, userId: string): Promise<string | undefined> {
  const account = await table.get(Users.key(userId), Users.schema.pick({ emailHash: true, emailVerified: true, deletionStartedAt: true }).partial({ emailHash: true }), { consistent: true });
  return account?.emailVerified && !account.deletionStartedAt ? account.emailHash : undefined;
}

/**
 * A transaction item that holds only while the account exists and is not being deleted: whatever
 * gives a person a place in an organization (creating one, accepting an invitation) carries it, so
 * no membership appears once deletion has begun.
 */
export function accountActiveCheck(userId: string): TransactWrite {
  return Users.at(userId).check(Conditions.all(Conditions.exists, Conditions.attributeAbsent('deletionStartedAt')), () => new ConflictError('This account is being deleted.'));
}
