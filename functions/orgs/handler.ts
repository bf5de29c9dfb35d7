import type { MembershipRecord } from '../kernel/auth/authorize';
import { TenantKeys, type OrgScope } from '../kernel/auth/org-scope';
import { RoleRank, type Role } from '../kernel/auth/permissions';
import { ConflictError, ForbiddenError, NotFoundError } from '../kernel/errors';
import { createApiHandler, implement, type AnyRouteContext } from '../kernel/http/api-handler';
import { createLogger } from '../kernel/logging/logger';
import { awsPlatform } from '../kernel/platform/aws';
import { setPlatformFactory } from '../kernel/platform/platform';
import { Writes, type TransactWrite } from '../kernel/storage/table';
import { routeTable } from '../routes';
import { actorOf } from '../kernel/audit/actor';
import {
  createOrgWrites,
  getMembership,
  getOrg,
  hasProjects,
  listMembers,
  listOrgsOfUser,
  memberIndexKeys,
  orgItemKeys,
  orgView,
  updateOrgWrite,
} from './organizations';
import { apiKeyImplementations } from './api-key-handlers';
import * as routes from './routes';

const logger = createLogger('orgs');
setPlatformFactory(() => awsPlatform(logger));

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
async function lastOwnerGuard(ctx: AnyRouteContext, scope: OrgScope, target: MembershipRecord): Promise<TransactWrite[]> {
  if (target.role !== 'owner') return [];
  const others = (await listMembers(ctx.platform.table, scope)).filter((m) => m.role === 'owner' && m.userId !== target.userId);
  if (others.length === 0) throw new ConflictError('An organization keeps at least one owner; make someone else owner first.');
  return others.map((o) => ({
    item: {
      ConditionCheck: {
        TableName: '',
        Key: TenantKeys.member(scope, o.userId),
        ConditionExpression: '#role = :owner',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':owner': 'owner' },
      },
    },
    onConditionFailed: () => new ConflictError('The owners changed meanwhile; try again.'),
  }));
}

/** The organizations function: organizations and their members. */
export const handler = createApiHandler({
  domain: 'orgs',
  logger,
  routeTable,
  routes: [
    implement(routes.createOrg, async ({ body }, ctx) => {
      const userId = userIdOf(ctx);
      const now = new Date();
      const { scope, org, writes } = createOrgWrites(body.name, userId, now);
      // One record for the organization and its first owner: the actor is that owner.
      await ctx.platform.audit.commit({ scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.created', target: { type: 'org', id: scope.orgId }, metadata: {} }, writes);
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
      const members = await listMembers(ctx.platform.table, ctx.org.scope);
      return { body: { members: members.map(memberView) } };
    }),

    implement(routes.changeMemberRole, async ({ params, body }, ctx) => {
      const { scope, role: callerRole } = ctx.org;
      const target = await getMembership(ctx.platform.table, scope, params.userId);
      if (!target) throw new NotFoundError('No such member.');
      assertMayManage(callerRole, target.role, body.role);
      if (target.role === body.role) return { body: memberView(target) };
      const guard = body.role === 'owner' ? [] : await lastOwnerGuard(ctx, scope, target);
      const { version, ...rest } = target;
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'member.role_changed', target: { type: 'user', id: target.userId }, metadata: { from: target.role, to: body.role } },
        [Writes.putVersioned({ ...TenantKeys.member(scope, target.userId), ...rest, role: body.role, ...memberIndexKeys(scope, target.userId) }, version), ...guard],
      );
      return { body: memberView({ ...target, role: body.role }) };
    }),

    implement(routes.removeMember, async ({ params }, ctx) => {
      const { scope, role: callerRole } = ctx.org;
      const target = await getMembership(ctx.platform.table, scope, params.userId);
      if (!target) throw new NotFoundError('No such member.');
      assertMayManage(callerRole, target.role);
      const guard = await lastOwnerGuard(ctx, scope, target);
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'member.removed', target: { type: 'user', id: target.userId }, metadata: { role: target.role } },
        [
          Writes.delete(TenantKeys.member(scope, target.userId), {
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': target.version },
          }),
          ...guard,
        ],
      );
      return { body: {} };
    }),
    ...apiKeyImplementations,
  ],
});
