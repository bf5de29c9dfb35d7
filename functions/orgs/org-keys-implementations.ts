import { orgAuditEntry } from '../kernel/audit/entries';
import type { OrgScope } from '../kernel/auth/org-scope';
import { principalId } from '../kernel/auth/principal';
import { domainEvent } from '../kernel/events/catalogue';
import { implement, type BoundRoute, type OrgRouteContext } from '../kernel/http/implementation';
import { getKeyRotation } from '../kernel/tenancy/org-key-rotation';
import * as routes from './org-keys-routes';
import { assertNotResealing, orgKeysView, resumeRotation, rotationView, startRotation } from './org-keys';
import { requireOrg } from './organizations';

/**
 * Asks the deploy path to (go on) re-sealing. After the rotation committed, a lost request only
 * delays the re-seal: nothing is unreadable meanwhile, and starting a rotation again once it has
 * stalled re-sends it.
 */
async function requestReseal(ctx: OrgRouteContext, scope: OrgScope, keyVersion: number): Promise<void> {
  try {
    await ctx.platform.events.publish([domainEvent('org.key.reseal_requested', { orgId: scope.orgId, keyVersion })]);
  } catch (error) {
    ctx.logger.error('Could not request the re-seal; it resumes when the rotation is started again after stalling', { error, keyVersion });
  }
}

/** Organization keys: their versions, and rotation with its background re-seal. */
export const orgKeyImplementations: readonly BoundRoute[] = [
  implement(routes.getOrgKeys, async (_input, ctx) => {
    const { scope } = ctx.org;
    const org = await requireOrg(ctx.platform.table, scope);
    return { body: orgKeysView(org, await getKeyRotation(ctx.platform.table, scope)) };
  }),

  implement(routes.rotateOrgKey, async (_input, ctx) => {
    const { scope } = ctx.org;
    const { table } = ctx.platform;
    const now = new Date();
    const current = await getKeyRotation(table, scope);

    if (current?.status === 'resealing') {
      assertNotResealing(current, now);
      const { rotation, writes } = resumeRotation(scope, current, now);
      await ctx.platform.audit.commit(
        orgAuditEntry(ctx, scope, 'org.key_rotation_resumed', { type: 'org', id: scope.orgId }, { keyVersion: current.keyVersion, resealed: current.resealed }),
        writes,
      );
      await requestReseal(ctx, scope, current.keyVersion);
      return { body: { ...rotationView(rotation), resumed: true } };
    }

    const org = await requireOrg(table, scope);
    const { rotation, writes } = await startRotation(ctx.platform.keys, scope, org, current, principalId(ctx.principal), now);
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'org.key_rotated', { type: 'org', id: scope.orgId }, { keyVersion: rotation.keyVersion, previousVersion: rotation.previousVersion }),
      writes,
    );
    await requestReseal(ctx, scope, rotation.keyVersion);
    return { body: { ...rotationView(rotation), resumed: false } };
  }),
];
