import type { MembershipRecord } from '../kernel/tenancy/memberships';
import { type OrgScope } from '../kernel/auth/org-scope';
import { Keys as TenantKeys } from '../kernel/storage/keys';
import { RoleRank, type Role } from '../kernel/auth/permissions';
import { ConflictError, ForbiddenError, NotFoundError } from '../kernel/errors';
import { createApiHandler } from '../kernel/http/api-handler';
import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { Writes } from '../kernel/storage/writes';
import { actorOf } from '../kernel/audit/entries';
import {
  createOrgWrites,
  getMembership,
  getOrg,
  hasProjects,
  listOrgsOfUser,
  membershipWrite,
  memberIndexKeys,
  orgItemKeys,
  orgView,
  updateOrgWrite,
} from './organizations';
import { membersOf, otherOwners, ownersRemainWrites, removeMembershipWrites } from '../kernel/tenancy/memberships';
import { apiKeyImplementations } from './api-key-handlers';
import { orgKeyImplementations } from './org-key-handlers';
import * as routes from './routes';
import {
  createInvitation,
  findInvitationByToken,
  getInvitation,
  invitationEmailHash,
  invitationView,
  listInvitations,
  openInvitationEmail,
  removeInvitationWrites,
} from './invitations';
import { InvalidTokenError } from '../kernel/errors';
import { accountActiveCheck, verifiedEmailHashOf } from '../kernel/accounts/account-proofs';

const invitationMail = (to: string, orgName: string, role: string, appUrl: string, token: string) => ({
  to,
  subject: `You are invited to join ${orgName} on Rampart`,
  text: [
    `You have been invited to join the organization "${orgName}" on Rampart as ${role}.`,
    '',
    'Sign in (or sign up with this address), then open this link within 7 days to accept:',
    `${appUrl}/invitations/accept?token=${token}`,
    '',
    'If you did not expect this, ignore this message.',
  ].join('\n'),
});


const userIdOf = (ctx: AnyRouteContext): string => {
  if (ctx.principal?.type !== 'user') throw new ForbiddenError('Only people manage organizations.');
  return ctx.principal.userId;
};

const memberView = (m: MembershipRecord) => ({ userId: m.userId, role: m.role, joinedAt: m.joinedAt });

/** Owner and admin are granted, changed and removed by owners only: an admin is not an owner. */
function assertMayManage(callerRole: Role, targetRole: Role, newRole?: Role): void {
  const privileged = (r: Role | undefined) => r !== undefined && RoleRank[r] >= RoleRank.admin;
  if ((privileged(targetRole) || privileged(newRole)) && callerRole !== 'owner') {
    throw new ForbiddenError('Only owners grant, change or remove the owner and admin roles.');
  }
}

/**
 * Writes that keep at least one owner: when `target` (an owner) loses the role, every other owner
 * must still be one at commit time, so two owners cannot demote each other at once.
 */
async function lastOwnerGuard(ctx: AnyRouteContext, scope: OrgScope, target: MembershipRecord): Promise<MembershipRecord[]> {
  if (target.role !== 'owner') return [];
  const others = await otherOwners(ctx.platform.table, scope, target.userId);
  if (others.length === 0) throw new ConflictError('An organization keeps at least one owner; make someone else owner first.');
  return others;
}

/** The organizations function: organizations and their members. */
export const handler = createApiHandler('orgs', [
    implement(routes.createOrg, async ({ body }, ctx) => {
      const userId = userIdOf(ctx);
      const now = new Date();
      const { scope, org, writes } = await createOrgWrites(ctx.platform.keys, body.name, userId, now);
      // One record for the organization and its first owner: the actor is that owner.
      // An account being deleted founds nothing: its owner would be gone with it.
      await ctx.platform.audit.commit({ scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.created', target: { type: 'org', id: scope.orgId }, metadata: {} }, [...writes, accountActiveCheck(userId)]);
      return { body: { ...orgView(org), role: 'owner' as const } };
    }),

    implement(routes.listOrgs, async (_input, ctx) => {
      const orgs = await listOrgsOfUser(ctx.platform.table, userIdOf(ctx));
      return { body: { orgs: orgs.map(({ org, role }) => ({ ...orgView(org), role })) } };
    }),

    implement(routes.getOrg, async (_input, ctx) => {
      const org = await getOrg(ctx.platform.table, ctx.org.scope);
      if (!org) throw new NotFoundError('No such organization.');
      return { body: { ...orgView(org), role: ctx.org.role } };
    }),

    implement(routes.updateOrg, async ({ body }, ctx) => {
      const { scope } = ctx.org;
      const org = await getOrg(ctx.platform.table, scope);
      if (!org) throw new NotFoundError('No such organization.');
      if (org.name === body.name) return { body: orgView(org) };
      const updated = { ...org, name: body.name, updatedAt: new Date().toISOString() };
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.updated', target: { type: 'org', id: scope.orgId }, metadata: { fields: ['name'] } },
        [updateOrgWrite(scope, updated)],
      );
      return { body: orgView(updated) };
    }),

    implement(routes.deleteOrg, async (_input, ctx) => {
      const { scope } = ctx.org;
      const { table } = ctx.platform;
      if (await hasProjects(table, scope)) throw new ConflictError('Delete the projects of this organization first.');
      const keys = await orgItemKeys(table, scope);
      const [first, rest] = [keys.slice(0, 90), keys.slice(90)];
      // The audit record (kept forever) lands with the organization's own item; members follow.
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.deleted', target: { type: 'org', id: scope.orgId }, metadata: {} },
        first.map((k) => Writes.delete(k)),
      );
      for (let i = 0; i < rest.length; i += 100) await table.transact(rest.slice(i, i + 100).map((k) => Writes.delete(k)));
      return { body: {} };
    }),

    implement(routes.listMembers, async (_input, ctx) => {
      const members = await membersOf(ctx.platform.table, ctx.org.scope);
      return { body: { members: members.map(memberView) } };
    }),

    implement(routes.changeMemberRole, async ({ params, body }, ctx) => {
      const { scope, role: callerRole } = ctx.org;
      const target = await getMembership(ctx.platform.table, scope, params.userId);
      if (!target) throw new NotFoundError('No such member.');
      assertMayManage(callerRole, target.role, body.role);
      if (target.role === body.role) return { body: memberView(target) };
      const guard = body.role === 'owner' ? [] : ownersRemainWrites(scope, await lastOwnerGuard(ctx, scope, target));
      const { version, ...rest } = target;
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'member.role_changed', target: { type: 'user', id: target.userId }, metadata: { from: target.role, to: body.role } },
        [Writes.putVersioned({ ...TenantKeys.member(scope, target.userId), ...rest, role: body.role, ...memberIndexKeys(scope, target.userId) }, version), ...guard],
      );
      return { body: memberView({ ...target, role: body.role }) };
    }),

    implement(routes.createInvitation, async ({ body }, ctx) => {
      const { scope, role: callerRole } = ctx.org;
      assertMayManage(callerRole, 'viewer', body.role);
      const org = await getOrg(ctx.platform.table, scope);
      if (!org) throw new NotFoundError('No such organization.');
      const invitedBy = ctx.principal.type === 'user' ? ctx.principal.userId : ctx.principal.keyId;
      const { record, token, writes } = await createInvitation(ctx.platform, scope, body.email, body.role, invitedBy, new Date());
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'invitation.created', target: { type: 'invitation', id: record.invitationId }, metadata: { invitationId: record.invitationId, role: record.role } },
        writes,
      );
      try {
        await ctx.platform.mailer.send(invitationMail(body.email, org.name, record.role, ctx.platform.appUrl, token));
      } catch (error) {
        ctx.logger.error('Could not send the invitation mail', { error });
      }
      return { body: invitationView(record, body.email) };
    }),

    implement(routes.listInvitations, async (_input, ctx) => {
      const now = Date.now() / 1000;
      const pending = (await listInvitations(ctx.platform.table, ctx.org.scope)).filter((i) => i.expiresAt > now);
      const invitations = await Promise.all(pending.map(async (i) => invitationView(i, await openInvitationEmail(ctx.platform.piiKeys, i))));
      return { body: { invitations } };
    }),

    implement(routes.revokeInvitation, async ({ params }, ctx) => {
      const { scope } = ctx.org;
      const invitation = await getInvitation(ctx.platform.table, scope, params.invitationId);
      if (!invitation) throw new NotFoundError('No such invitation.');
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'invitation.revoked', target: { type: 'invitation', id: invitation.invitationId }, metadata: { invitationId: invitation.invitationId } },
        removeInvitationWrites(scope, invitation),
      );
      return { body: {} };
    }),

    implement(routes.acceptInvitation, async ({ body }, ctx) => {
      const userId = userIdOf(ctx);
      const { table } = ctx.platform;
      const found = await findInvitationByToken(table, body.token);
      if (!found || found.invitation.expiresAt <= Date.now() / 1000) throw new InvalidTokenError('The invitation is invalid, used or expired.');
      const { scope, invitation } = found;
      // The link alone is not enough: the signed-in account must have proved it owns the address
      // (compared by lookup hash: accounts keep their address sealed).
      const accountEmailHash = await verifiedEmailHashOf(table, userId);
      if (accountEmailHash === undefined || accountEmailHash !== (await invitationEmailHash(ctx.platform.emailIndex, invitation))) {
        throw new ForbiddenError('This invitation is for another email address; sign in with the invited, verified address.');
      }
      if (await getMembership(table, scope, userId)) throw new ConflictError('You are already a member of this organization.');
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'member.added', target: { type: 'user', id: userId }, metadata: { role: invitation.role, via: 'invitation' } },
        [...removeInvitationWrites(scope, invitation), membershipWrite(scope, userId, invitation.role, new Date()), accountActiveCheck(userId)],
      );
      const org = await getOrg(table, scope);
      if (!org) throw new NotFoundError('No such organization.');
      return { body: { ...orgView(org), role: invitation.role } };
    }),

    implement(routes.removeMember, async ({ params }, ctx) => {
      const { scope, role: callerRole } = ctx.org;
      const target = await getMembership(ctx.platform.table, scope, params.userId);
      if (!target) throw new NotFoundError('No such member.');
      assertMayManage(callerRole, target.role);
      const others = await lastOwnerGuard(ctx, scope, target);
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'member.removed', target: { type: 'user', id: target.userId }, metadata: { role: target.role } },
        removeMembershipWrites(scope, target, others),
      );
      return { body: {} };
    }),
    ...apiKeyImplementations,
    ...orgKeyImplementations,
  ]);
