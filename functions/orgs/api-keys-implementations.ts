import { orgAuditEntry } from '../kernel/audit/entries';
import { listApiKeys, revokeApiKeyWrites } from '../kernel/auth/api-key-records';
import { RoleRank } from '../kernel/auth/permissions';
import { BadRequestError, ForbiddenError, NotFoundError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import * as routes from './api-keys-routes';
import { API_KEY_MAX_LIFETIME_MS, apiKeyView, createApiKeyWrites, getApiKey } from './api-keys';
import { projectExists } from './organizations';

/** API keys: issued by a member (the secret shown once), listed, revoked. */
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
      if (!(await projectExists(ctx.platform.table, scope, projectId))) throw new NotFoundError('No such project.');
    }
    const { key, record, writes } = createApiKeyWrites(
      scope,
      { name: body.name, role: body.role, ...(body.projectIds ? { projectIds: body.projectIds } : {}), ...(expiresAt ? { expiresAt } : {}), createdBy: ctx.principal.userId },
      now,
    );
    await ctx.platform.audit.commit(
      orgAuditEntry(
        ctx,
        scope,
        'apikey.created',
        { type: 'api_key', id: record.keyId },
        { keyId: record.keyId, name: record.name, role: record.role, ...(record.projectIds ? { projectCount: record.projectIds.length } : {}) },
      ),
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
    const gone = () => new NotFoundError('No such API key.');
    await ctx.platform.audit.commit(
      orgAuditEntry(ctx, scope, 'apikey.revoked', { type: 'api_key', id: key.keyId }, { keyId: key.keyId }),
      revokeApiKeyWrites(scope, key.keyId, 'revoked', new Date(), gone),
    );
    return { body: {} };
  }),
];
