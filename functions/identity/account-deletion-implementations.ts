import type { UserRecord } from '../kernel/accounts/user-record';
import { orgAuditEntry, userAuditEntry } from '../kernel/audit/entries';
import { ConflictError, InvalidCredentialsError, ValidationError } from '../kernel/errors';
import { implement, type AnyRouteContext, type BoundRoute } from '../kernel/http/implementation';
import { memberRemovalWrites, membershipsOfUser, otherOwners } from '../kernel/tenancy/memberships';
import { sendNotice } from '../kernel/mail/send';
import { piiOf, requireUser, updateUserWrite } from './account';
import { assertNotLastOwner, deletionActor, SESSIONS_IN_FINAL_TRANSACTION, shredAccountWrites } from './account-deletion';
import * as routes from './account-deletion-routes';
import { Mail } from './mail-templates';
import { checkSecondFactor } from './mfa';
import { verifyPassword } from './passwords';
import { deleteSessionWrites, listSessions } from './sessions';
import { userKeyRing } from './user-keys';

/** Password first, then the second factor (burnt at once, so it cannot be replayed). */
async function reauthenticate(ctx: AnyRouteContext, user: UserRecord, body: { password: string; code?: string | undefined }, now: Date): Promise<void> {
  if (!(await verifyPassword(user.passwordHash, body.password))) throw new InvalidCredentialsError();
  if (!user.mfaEnabled) return;
  if (!body.code) throw new ValidationError([{ path: 'body.code', message: 'Two-factor authentication is on: give a current code or a recovery code.' }]);
  const factor = await checkSecondFactor(ctx, user, body.code, now);
  if (factor.writes.length > 0) await ctx.platform.table.transact(factor.writes);
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
    // The person's API keys in the organization are revoked with the membership, for good.
    const removal = await memberRemovalWrites(table, scope, membership, keepOwned ? others : [], new Date());
    await audit.commitInBatches(
      {
        ...orgAuditEntry(ctx, scope, 'member.removed', { type: 'user', id: userId }, { role: membership.role, via: 'account_deleted', keysRevoked: removal.keysRevoked }),
        actor: deletionActor(userId),
      },
      removal.writes,
    );
    left++;
  }
  return left;
}

/**
 * Step 4: sessions beyond what one transaction holds go first (never the caller's own, so that a
 * failure leaves a session to resume with); then the shred, with everything else, in one transaction.
 */
async function shredAccount(ctx: AnyRouteContext, user: UserRecord, organizationsLeft: number): Promise<void> {
  const { table, audit } = ctx.platform;
  const current = ctx.principal?.type === 'user' ? ctx.principal.sessionId : undefined;
  const sessions = (await listSessions(table, user.userId)).sort((a, b) => Number(a.sessionId === current) - Number(b.sessionId === current));
  const early = sessions.slice(0, Math.max(0, sessions.length - SESSIONS_IN_FINAL_TRANSACTION));
  const final = sessions.slice(early.length);
  // A session and its refresh token take two items, so no batch splits them.
  await table.transactInBatches(early.flatMap(deleteSessionWrites));
  await audit.commit(
    { ...userAuditEntry(ctx, user.userId, 'user.deleted', { organizationsLeft, sessionsEnded: sessions.length }), actor: deletionActor(user.userId) },
    [...shredAccountWrites(user), ...final.flatMap(deleteSessionWrites)],
  );
}

export const accountDeletionImplementations: readonly BoundRoute[] = [
  implement(routes.deleteMe, async ({ body }, ctx) => {
    const { table } = ctx.platform;
    let user = await requireUser(ctx);
    const now = new Date();
    await reauthenticate(ctx, user, body, now);
    // Opened while it still can be: the notice goes to this address, and nothing keeps it after.
    const { email } = await piiOf(ctx, user);
    await assertNotLastOwner(table, user.userId);

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
    await sendNotice(ctx.platform, ctx.logger, Mail.accountDeleted(email));
    return { body: {} };
  }),
];
