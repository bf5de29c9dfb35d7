import { actorOf } from '../kernel/audit/entries';
import { currentOrgKey, getOrg, updateOrgWrite, type OrgRecord } from '../kernel/tenancy/org-record';
import { getKeyRotation, keyRotationWrite, RESEAL_STALL_MS, type KeyRotationRecord } from '../kernel/tenancy/org-key-rotation';
import type { OrgScope } from '../kernel/auth/org-scope';
import { ConflictError, NotFoundError } from '../kernel/errors';
import { domainEvent } from '../kernel/events/catalogue';
import { implement, type BoundRoute, type RouteContext } from '../kernel/http/implementation';
import { createOrgKey } from '../kernel/keys/org-keys';
import * as routes from './org-key-routes';

const rotationView = (r: KeyRotationRecord) => ({
  keyVersion: r.keyVersion,
  previousVersion: r.previousVersion,
  status: r.status,
  startedAt: r.startedAt,
  startedBy: r.startedBy,
  updatedAt: r.updatedAt,
  ...(r.completedAt ? { completedAt: r.completedAt } : {}),
  resealed: r.resealed,
  pass: r.pass,
});

const changedMeanwhile = () => new ConflictError('A rotation of this organization key started or moved on meanwhile; read GET …/keys and retry.');

async function orgOf(ctx: RouteContext<typeof routes.rotateOrgKey>, scope: OrgScope): Promise<OrgRecord> {
  const org = await getOrg(ctx.platform.table, scope);
  if (!org) throw new NotFoundError('No such organization.');
  return org;
}

/**
 * Asks the deploy path to (go on) re-sealing. After the rotation committed, a lost request only
 * delays the re-seal: nothing is unreadable meanwhile, and starting a rotation again once it has
 * stalled re-sends it.
 */
async function requestReseal(ctx: RouteContext<typeof routes.rotateOrgKey>, scope: OrgScope, keyVersion: number): Promise<void> {
  try {
    await ctx.platform.events.publish([domainEvent('org.key.reseal_requested', { orgId: scope.orgId, keyVersion })]);
  } catch (error) {
    ctx.logger.error('Could not request the re-seal; it resumes when the rotation is started again after stalling', { error, keyVersion });
  }
}

/** The organization-key routes of the organizations function: versions, rotation and its progress. */
export const orgKeyImplementations: readonly BoundRoute[] = [
  implement(routes.getOrgKeys, async (_input, ctx) => {
    const { scope } = ctx.org;
    const org = await getOrg(ctx.platform.table, scope);
    if (!org) throw new NotFoundError('No such organization.');
    const sealing = currentOrgKey(org);
    const rotation = await getKeyRotation(ctx.platform.table, scope);
    return {
      body: {
        sealingKeyVersion: sealing?.version ?? 0,
        versions: (org.orgKeys ?? []).map((k) => ({ version: k.version, ...(k.createdAt ? { createdAt: k.createdAt } : {}), state: k === sealing ? ('sealing' as const) : ('retiring' as const) })),
        ...(rotation ? { rotation: rotationView(rotation) } : {}),
      },
    };
  }),

  implement(routes.rotateOrgKey, async (_input, ctx) => {
    const { scope } = ctx.org;
    const { table } = ctx.platform;
    const now = new Date();
    const at = now.toISOString();
    const current = await getKeyRotation(table, scope);

    if (current?.status === 'resealing') {
      if (now.getTime() - Date.parse(current.updatedAt) < RESEAL_STALL_MS) {
        throw new ConflictError(`Key version ${current.keyVersion} is still being re-sealed (${current.resealed} values so far); wait until it completes (GET …/keys).`);
      }
      const resumed = { ...current, updatedAt: at };
      await ctx.platform.audit.commit(
        { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.key_rotation_resumed', target: { type: 'org', id: scope.orgId }, metadata: { keyVersion: current.keyVersion, resealed: current.resealed } },
        [keyRotationWrite(scope, resumed, current.version, changedMeanwhile)],
      );
      await requestReseal(ctx, scope, current.keyVersion);
      return { body: { ...rotationView(resumed), resumed: true } };
    }

    const org = await orgOf(ctx, scope);
    const sealing = currentOrgKey(org);
    if (!sealing) throw new ConflictError('The organization has no key to rotate.');
    const keyVersion = sealing.version + 1;
    // The new version is made here (wrapping needs no decrypt permission); the old ones stay until
    // the deploy path has re-sealed everything they sealed.
    const record = { ...(await createOrgKey(ctx.platform.keys, scope.orgId, keyVersion)), createdAt: at };
    const rotation: KeyRotationRecord = {
      keyVersion,
      previousVersion: sealing.version,
      status: 'resealing',
      startedAt: at,
      startedBy: ctx.principal.type === 'user' ? ctx.principal.userId : ctx.principal.keyId,
      updatedAt: at,
      resealed: 0,
      pass: 1,
      foundThisPass: 0,
      version: (current?.version ?? 0) + 1,
    };
    await ctx.platform.audit.commit(
      { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'org.key_rotated', target: { type: 'org', id: scope.orgId }, metadata: { keyVersion, previousVersion: sealing.version } },
      [
        updateOrgWrite(scope, { ...org, orgKeys: [...(org.orgKeys ?? []), record], sealingKeyVersion: keyVersion, updatedAt: at }),
        keyRotationWrite(scope, rotation, current?.version ?? 0, changedMeanwhile),
      ],
    );
    await requestReseal(ctx, scope, keyVersion);
    return { body: { ...rotationView(rotation), resumed: false } };
  }),
];
