import { Users, type UserRecord } from '../kernel/accounts/user-record';
import type { AuditActor } from '../kernel/audit/record';
import { ConflictError, PreconditionFailedError } from '../kernel/errors';
import { membershipsOfUser, otherOwners } from '../kernel/tenancy/memberships';
import { Conditions } from '../kernel/storage/conditions';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { releaseEmailWrite } from './account';
import { removeFactorWrite } from './mfa';
import { clearFailuresWrite } from './second-factor-lockout';
import { shredUserKeyWrite } from './user-keys';

/**
 * Account deletion by crypto-shredding (docs/identity.md, "Deleting an account"):
 *
 *   1. re-authentication (password, and a second factor when it is on), then the refusals: the
 *      last owner of an organization must hand it over or delete it first (409);
 *   2. the profile is marked `deletionStartedAt`: from then on no organization can be founded or
 *      joined by the account (`accountActiveCheck`);
 *   3. every membership is removed, each with its `member.removed` record in its organization's
 *      chain (API keys the person created die with the membership);
 *   4. one transaction deletes the data key (the shred), the profile, the address claim, the TOTP
 *      factor and the sessions with their refresh tokens, and records `user.deleted`;
 *   5. memberships the eventually consistent index showed late are removed too.
 *
 * Until step 4 commits nothing is lost and the same request can be made again: it resumes.
 */

/** Sessions that fit in the final transaction beside the key, profile, claim, factor and the audit record. */
export const SESSIONS_IN_FINAL_TRANSACTION = 40;

/** Records of the deletion name the person by id only: no address, no client details. */
export const deletionActor = (userId: string): AuditActor => ({ type: 'user', id: userId });

/** Refuses while the person is the only owner of an organization: it would be left without one. */
export async function assertNotLastOwner(table: Table, userId: string): Promise<void> {
  const owned = (await membershipsOfUser(table, userId)).filter((m) => m.membership.role === 'owner');
  const alone = [];
  for (const { scope } of owned) if ((await otherOwners(table, scope, userId)).length === 0) alone.push(scope.orgId);
  if (alone.length > 0) {
    throw new ConflictError(
      `You are the last owner of ${alone.length === 1 ? 'organization' : 'organizations'} ${alone.join(', ')}: make another member owner or delete ${alone.length === 1 ? 'it' : 'them'} first.`,
    );
  }
}

/**
 * The shred and what goes with it: without the data key, no copy of the sealed address, name,
 * TOTP secret or client details (in the table, a backup or an export) can be opened again.
 */
export const shredAccountWrites = (user: UserRecord): TransactWrite[] => [
  shredUserKeyWrite(user.userId),
  Users.at(user.userId).delete({ when: Conditions.versionIs(user.version), onConditionFailed: () => new PreconditionFailedError('The account changed meanwhile; try again.') }),
  releaseEmailWrite(user),
  removeFactorWrite(user.userId),
  clearFailuresWrite(user.userId),
];
