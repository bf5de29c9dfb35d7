import { accountActiveCheck } from '../kernel/accounts/account-proofs';
import { orgAuditEntry } from '../kernel/audit/entries';
import { ConflictError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import { consumeRateLimit } from '../kernel/rate-limit/consume';
import { NamedBuckets } from '../kernel/rate-limit/policies';
import { updateOrgWrite } from '../kernel/tenancy/org-record';
import * as routes from './organizations-routes';
import { createOrgWrites, deleteOrgWrites, hasProjects, listOrgsOfUser, orgView, requireOrg, userIdOf } from './organizations';

/** Organizations: founded by a person, listed by their members, renamed, and deleted once empty of projects. */
export const organizationImplementations: readonly BoundRoute[] = [
  implement(routes.createOrg, async ({ body }, ctx) => {
    const userId = userIdOf(ctx.principal);
    // Each organization costs a KMS-wrapped key and a chain of its own: a few a day per person (429 beyond).
    await consumeRateLimit(ctx.platform.table, { ...NamedBuckets.orgsByUser, subject: [userId] });
    const { scope, org, writes } = await createOrgWrites(ctx.platform.keys, body.name, userId, new Date());
    // One record for the organization and its first owner: the actor is that owner.
    // An account being deleted founds nothing: its owner would be gone with it.
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'org.created', { type: 'org', id: scope.orgId }, {}), [...writes, accountActiveCheck(userId)]);
    return { body: { ...orgView(org), role: 'owner' as const } };
  }),

  implement(routes.listOrgs, async (_input, ctx) => {
    const orgs = await listOrgsOfUser(ctx.platform.table, userIdOf(ctx.principal));
    return { body: { orgs: orgs.map(({ org, role }) => ({ ...orgView(org), role })) } };
  }),

  implement(routes.getOrg, async (_input, ctx) => {
    const org = await requireOrg(ctx.platform.table, ctx.org.scope);
    return { body: { ...orgView(org), role: ctx.org.role } };
  }),

  implement(routes.updateOrg, async ({ body }, ctx) => {
    const { scope } = ctx.org;
    const org = await requireOrg(ctx.platform.table, scope);
    if (org.name === body.name) return { body: orgView(org) };
    const updated = { ...org, name: body.name, updatedAt: new Date().toISOString() };
    await ctx.platform.audit.commit(orgAuditEntry(ctx, scope, 'org.updated', { type: 'org', id: scope.orgId }, { fields: ['name'] }), [updateOrgWrite(scope, updated)]);
    return { body: orgView(updated) };
  }),

  implement(routes.deleteOrg, async (_input, ctx) => {
    const { scope } = ctx.org;
    const { table } = ctx.platform;
    if (await hasProjects(table, scope)) throw new ConflictError('Delete the projects of this organization first.');
    // The audit record (kept forever) lands with the first items; the rest follow in their own transactions.
    await ctx.platform.audit.commitInBatches(orgAuditEntry(ctx, scope, 'org.deleted', { type: 'org', id: scope.orgId }, {}), await deleteOrgWrites(table, scope));
    return { body: {} };
  }),
];
