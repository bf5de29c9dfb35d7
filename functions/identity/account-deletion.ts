import type { AuditActor } from '../kernel/audit/record';
import { membershipsOfUser } from '../kernel/tenancy/memberships';
import { otherOwners, removeMembershipWrites } from '../kernel/tenancy/memberships';
import { ConflictError, InvalidCredentialsError, PreconditionFailedError, ValidationError } from '../kernel/errors';
import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { Keys } from '../kernel/storage/keys';
import { Conditions } from '../kernel/storage/conditions';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { piiOf, requireUser, sendMail } from './account';
import { Mail } from './mail-templates';
import { checkSecondFactor } from './mfa';
import { verifyPassword } from './passwords';
import * as routes from './routes';
import { listSessions } from './sessions';
import { shredUserKeyWrite, userKeyRing } from './user-keys';
import { updateUserWrite, type UserRecord } from './users';

/**
 * `DELETE /v1/me`: account deletion by crypto-shredding (docs/identity.md, "Deleting an account").
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

/** Items a session takes in a transaction: the session and its current refresh token. */
const ITEMS_PER_SESSION = 2;
/** Sessions that fit in the final transaction beside the key, profile, claim, factor and the audit record. */
const SESSIONS_IN_FINAL_TRANSACTION = 40;

/** Records of the deletion name the person by id only: no address, no client details. */
const actorFor = (userId: string): AuditActor => ({ type: 'user', id: userId });

/** Password first, then the second factor (burnt at once, so it cannot be replayed). */
async function reauthenticate(ctx: AnyRouteContext, user: UserRecord, body: { password: string; code?: string | undefined }, now: Date): Promise<void> {
  if (!(await verifyPassword(user.passwordHash, body.password))) throw new InvalidCredentialsError();
  if (!user.mfaEnabled) return;
  if (!body.code) throw new ValidationError([{ path: 'body.code', message: 'Two-factor authentication is on: give a current code or a recovery code.' }]);
  const factor = await checkSecondFactor(ctx, user, body.code, now);
  if (factor.writes.length > 0) await ctx.platform.table.transact(factor.writes);
}

/** Refuses while the person is the only owner of an organization: it would be left without one. */
async function assertNotLastOwner(ctx: AnyRouteContext, userId: string): Promise<void> {
  const { table } = ctx.platform;
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
 * Removes the person from every organization, each removal audited in that organization's chain.
 * With `keepOwned`, an owner's removal holds only while another owner remains (409 otherwise).
 */
async function leaveOrganizations(ctx: AnyRouteContext, userId: string, keepOwned: boolean): Promise<number> {
  const { table, audit } = ctx.platform;
  let left = 0;
  for (const { scope, membership } of await membershipsOfUser(table, userId)) {
    const others = membership.role === 'owner' ? await otherOwners(table, scope, userId) : [];
    if (keepOwned && membership.role === 'owner' && others.length === 0) {
      throw new ConflictError(`You became the last owner of organization ${scope.orgId} meanwhile: make another member owner or delete it first.`);
    }
    await audit.commit(
      {
        scope: `org:${scope.orgId}`,
        actor: actorFor(userId),
        action: 'member.removed',
        target: { type: 'user', id: userId },
        metadata: { role: membership.role, via: 'account_deleted' },
      },
      removeMembershipWrites(scope, membership, keepOwned ? others : []),
    );
    left++;
  }
  return left;
}

/** The deletes of a session and its current refresh token (a used one holds ids only and expires). */
const sessionDeletes = (userId: string, session: { sessionId: string; refreshTokenHash: string }): TransactWrite[] => [
  Writes.delete(Keys.session(userId, session.sessionId)),
  Writes.delete(Keys.refreshToken(session.refreshTokenHash)),
];

/**
 * Step 4: sessions beyond what one transaction holds go first (never the caller's own, so that a
 * failure leaves a session to resume with); then the shred, with everything else, in one transaction.
 */
async function shredAccount(ctx: AnyRouteContext, user: UserRecord, organizationsLeft: number): Promise<void> {
  const { table, audit } = ctx.platform;
  const { userId } = user;
  const current = ctx.principal?.type === 'user' ? ctx.principal.sessionId : undefined;
  const sessions = (await listSessions(table, userId)).sort((a, b) => Number(a.sessionId === current) - Number(b.sessionId === current));
  const early = sessions.slice(0, Math.max(0, sessions.length - SESSIONS_IN_FINAL_TRANSACTION));
  const final = sessions.slice(early.length);
  const perTransaction = Math.floor(100 / ITEMS_PER_SESSION);
  for (let i = 0; i < early.length; i += perTransaction) await table.transact(early.slice(i, i + perTransaction).flatMap((s) => sessionDeletes(userId, s)));

  await audit.commit(
    {
      scope: `user:${userId}`,
      actor: actorFor(userId),
      action: 'user.deleted',
      target: { type: 'user', id: userId },
      metadata: { organizationsLeft, sessionsEnded: sessions.length },
    },
    [
      // The crypto-shred: without this key, no copy of the sealed address, name, TOTP secret or
      // client details (in the table, a backup or an export) can be opened again.
      shredUserKeyWrite(userId),
      Writes.delete(Keys.user(userId), Conditions.versionIs(user.version), () => new PreconditionFailedError('The account changed meanwhile; try again.')),
      Writes.delete(Keys.userByEmail(user.emailHash), Conditions.absentOrHeldBy('userId', userId)),
      Writes.delete(Keys.totp(userId)),
      ...final.flatMap((s) => sessionDeletes(userId, s)),
    ],
  );
}

export const accountDeletionRoutes = [
  implement(routes.deleteMe, async ({ body }, ctx) => {
    const { table } = ctx.platform;
    let user = await requireUser(ctx);
    const now = new Date();
    await reauthenticate(ctx, user, body, now);
    // Opened while it still can be: the notice goes to this address, and nothing keeps it after.
    const { email } = await piiOf(ctx, user);
    await assertNotLastOwner(ctx, user.userId);

    if (!user.deletionStartedAt) {
      const marked = { ...user, deletionStartedAt: now.toISOString(), updatedAt: now.toISOString() };
      await table.transact([updateUserWrite(marked)]);
      user = { ...marked, version: user.version + 1 };
    }
    let organizationsLeft: number;
    try {
      organizationsLeft = await leaveOrganizations(ctx, user.userId, true);
    } catch (error) {
      // Ownership moved under us: the account stays as it was (minus the organizations it left).
      if (error instanceof ConflictError) {
        const { deletionStartedAt: _, ...unmarked } = user;
        await table.transact([updateUserWrite({ ...unmarked, updatedAt: new Date().toISOString() })]).catch(() => undefined);
      }
      throw error;
    }

    await shredAccount(ctx, user, organizationsLeft);
    userKeyRing(ctx.platform).forget(user.userId);
    // Memberships written just before the mark may reach the index late: they go too.
    await leaveOrganizations(ctx, user.userId, false);
    await sendMail(ctx, Mail.accountDeleted(email));
    return { body: {} };
  }),
];
