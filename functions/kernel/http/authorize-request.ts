import { recordApiKeyUse } from '../auth/api-key-credentials';
import { PermissionDeniedError, requireOrg, requireResources, type OrgAccess } from '../auth/authorize';
import { recordDenial } from '../audit/denials';
import { ValidationError } from '../errors';
import type { Platform } from '../platform/platform';
import { header, sourceIpOf, type ApiMiddleware, type ApiRequest } from './types';

/**
 * Routes that need a permission: the caller's organization, role and the resources in the path,
 * checked before the body is read, so a caller without access learns nothing about the schemas and
 * a foreign id is a 404 whatever else the request holds. An authorized API-key request also records
 * the key's use (at most once a minute per key, see `recordApiKeyUse`): `lastUsedAt` always, and an
 * `apikey.used` audit record for reads. A member refused for want of the permission, or a
 * project-restricted key on an organization-wide route (403), is recorded in the organization's
 * chain (`recordDenial`); a non-member's 404 is not, since anyone
 * could otherwise write into any organization's chain.
 */
export const authorizeRequest = (options: { readonly platform: () => Platform }): ApiMiddleware => {
  const before = async (request: ApiRequest) => {
    const { route, principal, params } = request.internal;
    if (route?.auth.kind !== 'permission') return;
    if (!principal || !params) throw new Error('authorization runs after authentication and path parsing');
    if (!params.ok) throw new ValidationError(params.issues);
    const platform = options.platform();
    let access: OrgAccess;
    try {
      access = await requireOrg(platform.table, principal, String(params.params.orgId), route.auth.permission, params.params);
    } catch (error) {
      if (error instanceof PermissionDeniedError) {
        const client = { sourceIp: sourceIpOf(request.event), userAgent: header(request.event, 'user-agent') };
        await recordDenial(platform, error, { ...client, principal, routeId: route.id }, request.internal.logger!);
      }
      throw error;
    }
    await requireResources(platform.table, access.scope, params.params, principal);
    request.internal.org = access;
    if (principal.type === 'api_key') {
      await recordApiKeyUse(
        platform,
        principal,
        access.scope,
        { routeId: route.id, audited: route.method === 'GET', sourceIp: sourceIpOf(request.event), userAgent: header(request.event, 'user-agent') },
        new Date(),
      );
    }
  };
  return { before };
};
