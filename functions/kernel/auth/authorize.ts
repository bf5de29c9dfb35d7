import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { Keys } from '../storage/keys';
import type { Table } from '../storage/table';
import { getMembership } from '../tenancy/memberships';
import { mintOrgScope, type OrgScope } from './org-scope';
import { lowerRole, projectKeyMayUse, roleAllows, type Permission, type Role } from './permissions';
import type { Principal } from './principal';

export interface OrgAccess {
  readonly scope: OrgScope;
  readonly role: Role;
}

const NO_SUCH_ORG = 'No such organization.';

/** Why a principal of the organization is refused: its role lacks the permission, or its key is restricted to projects. */
export type DenialReason = 'role' | 'project_restricted_key';

/** A member (or a key of the organization) refused a permission: a 403 worth recording. */
export class PermissionDeniedError extends ForbiddenError {
  constructor(
    readonly scope: OrgScope,
    readonly role: Role,
    readonly permission: Permission,
    readonly reason: DenialReason = 'role',
  ) {
    super(reason === 'role' ? `Your role (${role}) does not allow ${permission}.` : `A key restricted to projects cannot use ${permission} outside them.`);
  }
}

/**
 * The first link of the authorization chain: is the principal part of this organization, and does
 * its role hold the permission? An organization the principal is not part of does not exist for it
 * (404, never 403, so ids cannot be probed); a role too low is a 403, and so is an
 * organization-wide route for a key restricted to projects (`projectKeyMayUse`: only routes naming
 * a project, `params.projectId`, reading the organization and listing projects). On success it
 * mints the `OrgScope` every tenant key is built from.
 */
export async function requireOrg(
  table: Table,
  principal: Principal,
  orgId: string,
  permission: Permission,
  params: Readonly<Record<string, unknown>> = {},
): Promise<OrgAccess> {
  let scope: OrgScope;
  try {
    scope = mintOrgScope(orgId);
  } catch {
    throw new NotFoundError(NO_SUCH_ORG);
  }
  let role: Role;
  if (principal.type === 'user') {
    // Read on every request, consistently: removing a member ends their access at once.
    const membership = await getMembership(table, scope, principal.userId);
    if (!membership) throw new NotFoundError(NO_SUCH_ORG);
    role = membership.role;
  } else {
    // An API key belongs to one organization: any other does not exist for it.
    if (principal.orgId !== orgId) throw new NotFoundError(NO_SUCH_ORG);
    // A key lives only as long as its creator's membership (read consistently, like a member's):
    // removing a member ends their keys at once. A dead key is a 401, like a revoked one.
    const creator = await getMembership(table, scope, principal.createdBy);
    if (!creator) throw new UnauthenticatedError('Invalid API key.');
    // Demoting the creator lowers the key with them: a key never holds more than its creator now does.
    role = lowerRole(principal.role, creator.role);
  }
  if (!roleAllows(role, permission)) throw new PermissionDeniedError(scope, role, permission);
  // A key limited to some projects acts only within them: nothing organization-wide.
  if (principal.type === 'api_key' && principal.projectIds && !projectKeyMayUse(permission, typeof params.projectId === 'string')) {
    throw new PermissionDeniedError(scope, role, permission, 'project_restricted_key');
  }
  return { scope, role };
}

/**
 * The next links: a `{userId}` in the path must be a member of this organization, a `{projectId}`
 * a project of it (and one of the key's projects, for a restricted API key), and a `{serviceId}` a
 * service of that project. The keys contain the organization and the project, so a foreign id
 * finds nothing (404): ownership needs no separate check a handler could skip.
 */
export async function requireResources(table: Table, scope: OrgScope, params: Readonly<Record<string, unknown>>, principal?: Principal): Promise<void> {
  const userId = typeof params.userId === 'string' ? params.userId : undefined;
  const projectId = typeof params.projectId === 'string' ? params.projectId : undefined;
  const serviceId = typeof params.serviceId === 'string' ? params.serviceId : undefined;
  // A key restricted to some projects does not see the others (404, as for a foreign project).
  if (projectId !== undefined && principal?.type === 'api_key' && principal.projectIds && !principal.projectIds.includes(projectId)) {
    throw new NotFoundError('No such project.');
  }
  if (userId !== undefined && !(await getMembership(table, scope, userId))) {
    throw new NotFoundError('No such member.');
  }
  if (projectId === undefined) return;
  const exists = async (key: { pk: string; sk: string } | undefined) => key !== undefined && (await table.exists({ key }));
  const keyOrUndefined = <T,>(build: () => T): T | undefined => {
    try {
      return build();
    } catch {
      return undefined;
    }
  };
  if (!(await exists(keyOrUndefined(() => Keys.project(scope, projectId))))) throw new NotFoundError('No such project.');
  if (serviceId !== undefined && !(await exists(keyOrUndefined(() => Keys.service(scope, projectId, serviceId))))) {
    throw new NotFoundError('No such service.');
  }
}
