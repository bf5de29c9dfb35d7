import { z } from 'zod';
import { actorOf } from '../kernel/audit/entries';
import { Keys as TenantKeys } from '../kernel/storage/keys';
import { RoleRank } from '../kernel/auth/permissions';
import { BadRequestError, ForbiddenError, NotFoundError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import * as routes from './api-key-routes';
import { API_KEY_MAX_LIFETIME_MS, apiKeyView, createApiKeyWrites, getApiKey, listApiKeys, revokeApiKeyWrites } from './api-keys';

const Existing = z.looseObject({});

/** The API-key routes of the organizations function: issue (shown once), list, revoke. */
export const apiKeyImplementations: readonly BoundRoute[] = [
  implement(routes.createApiKey, async ({ body }, ctx) => {
    const { scope, role: callerRole } = ctx.org;
    // A key is issued by a person and lives as long as their membership: keys do not mint keys.
    if (ctx.principal.type !== 'user') throw new ForbiddenError('API keys are issued by members, not by other keys.');
    if (RoleRank[body.role] > RoleRank[callerRole]) throw new ForbiddenError(`Your role (${callerRole}) cannot issue a key with the ${body.role} role.`);
    const now = new Date();
    const expiresAt = body.expiresAt === undefined ? undefined : new Date(body.expiresAt);
    if (expiresAt && (expiresAt.getTime() <= now.getTime() || expiresAt.getTime() - now.getTime() > API_KEY_MAX_LIFETIME_MS)) {
      throw new BadRequestError('expiresAt must be in the future and at most a year away.');
    }
    for (const projectId of body.projectIds ?? []) {
      if (!(await ctx.platform.table.get(TenantKeys.project(scope, projectId), Existing, { consistent: true }))) throw new NotFoundError('No such project.');
    }
    const { key, record, writes } = createApiKeyWrites(
      scope,
      { name: body.name, role: body.role, ...(body.projectIds ? { projectIds: body.projectIds } : {}), ...(expiresAt ? { expiresAt } : {}), createdBy: ctx.principal.userId },
      now,
    );
    await ctx.platform.audit.commit(
      {
        scope: `org:${scope.orgId}`,
        actor: actorOf(ctx),
        action: 'apikey.created',
        target: { type: 'api_key', id: record.keyId },
        metadata: { keyId: record.keyId, name: record.name, role: record.role, ...(record.projectIds ? { projectCount: record.projectIds.length } : {}) },
      },
      writes,
    );
    return { body: { ...apiKeyView(record), key } };
  }),

  implement(routes.listApiKeys, async (_input, ctx) => {
    const keys = await listApiKeys(ctx.platform.table, ctx.org.scope);
    return { body: { apiKeys: keys.map(apiKeyView) } };
  }),

  implement(routes.revokeApiKey, async ({ params }, ctx) => {
    const { scope } = ctx.org;
    const key = await getApiKey(ctx.platform.table, scope, params.keyId);
    if (!key) throw new NotFoundError('No such API key.');
    await ctx.platform.audit.commit(
      { scope: `org:${scope.orgId}`, actor: actorOf(ctx), action: 'apikey.revoked', target: { type: 'api_key', id: key.keyId }, metadata: { keyId: key.keyId } },
      revokeApiKeyWrites(scope, key.keyId, new Date()),
    );
    return { body: {} };
  }),
];
