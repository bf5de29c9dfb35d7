import { orgAuditEntry } from '../kernel/audit/entries';
import { NotFoundError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import { changeRoleWrite, getMembership, memberRemovalWrites, membersOf, ownersRemainWrites } from '../kernel/tenancy/memberships';
import * as routes from './members-routes';
import { assertMayManage, lastOwnerGuard, memberView } from './members';

/** Members: listed, given another role, removed; the organization always keeps an owner. */
export const memberImplementations: readonly BoundRoute[] = [
  implement(routes.listMembers, async (_input, ctx) => {
    const members = await membersOf(ctx.platform.table, ctx.org.scope);
    return { body: { members: members.map(memberView) } };
  }),

  implement(routes.changeMemberRole, async ({ params, body }, ctx) => {
    const { scope, role } = ctx.org;
    const { table } = ctx.platform;
    const target = await getMembership(table, scope, params.userId);
    if (!target) throw new NotFoundError('No such member.');
    assertMayManage({ type: ctx.principal.type, role }, target.role, body.role);
    if (target.role === body.role) return { body: memberView(target) };
    const guard = body.role === 'owner' ? [] : ownersRemainWrites(scope, await lastOwnerGuard(table, scope, target));
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'member.role_changed', { type: 'user', id: target.userId }, { from: target.role, to: body.role }),
      [changeRoleWrite(scope, target, body.role), ...guard],
    );
    return { body: memberView({ ...target, role: body.role }) };
  }),

  implement(routes.removeMember, async ({ params }, ctx) => {
    const { scope, role } = ctx.org;
    const { table } = ctx.platform;
    const target = await getMembership(table, scope, params.userId);
    if (!target) throw new NotFoundError('No such member.');
    assertMayManage({ type: ctx.principal.type, role }, target.role);
    const others = await lastOwnerGuard(table, scope, target);
    // The member's API keys go with them, for good: an invitation back does not revive them.
    const removal = await memberRemovalWrites(table, scope, target, others, new Date());
    await ctx.platform.audit.commitInBatches(
      orgAuditEntry(ctx, scope, 'member.removed', { type: 'user', id: target.userId }, { role: target.role, keysRevoked: removal.keysRevoked }),
      removal.writes,
    );
    return { body: {} };
  }),
];
