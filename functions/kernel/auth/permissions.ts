/**
 * The one permission matrix: which organization role may do what. Every route that touches an
 * organization names the permission it needs; `roleAllows` is the only function that decides.
 * docs/authorization.md shows the same table.
 */

export const Roles = ['owner', 'admin', 'developer', 'viewer'] as const;
export type Role = (typeof Roles)[number];

/** Higher rank, more power; a principal never grants or holds above its own rank. */
export const RoleRank: Readonly<Record<Role, number>> = { viewer: 1, developer: 2, admin: 3, owner: 4 };

export const Permissions = [
  'org:read',
  'org:update',
  'org:delete',
  'members:read',
  'members:manage',
  'invitations:manage',
  'apikeys:read',
  'apikeys:manage',
  'projects:read',
  'projects:create',
  'projects:update',
  'projects:delete',
  'services:read',
  'services:write',
  'services:delete',
  'env:read',
  'env:write',
  'audit:read',
  'keys:read',
  'keys:rotate',
] as const;
export type Permission = (typeof Permissions)[number];

// `env:read` lists variable names only: no role can read a value back through the API.
const READ: Permission[] = ['org:read', 'members:read', 'projects:read', 'services:read', 'env:read'];
const BUILD: Permission[] = ['projects:create', 'projects:update', 'services:write', 'services:delete', 'env:write'];
// Rotating the organization key loses nothing (values are re-sealed, never dropped), so admins may.
const ADMINISTER: Permission[] = ['org:update', 'members:manage', 'invitations:manage', 'apikeys:read', 'apikeys:manage', 'projects:delete', 'audit:read', 'keys:read', 'keys:rotate'];

/**
 * The matrix. `admin` is not `owner`: it cannot delete the organization, and (checked by the
 * member rules) cannot grant, demote or remove owners or admins.
 */
export const RolePermissions: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(READ),
  developer: new Set([...READ, ...BUILD]),
  admin: new Set([...READ, ...BUILD, ...ADMINISTER]),
  owner: new Set([...READ, ...BUILD, ...ADMINISTER, 'org:delete']),
};

export const roleAllows = (role: Role, permission: Permission): boolean => RolePermissions[role].has(permission);

/** The lower of two roles: an API key acts with the lower of its own role and its creator's current one. */
export const lowerRole = (a: Role, b: Role): Role => (RoleRank[b] < RoleRank[a] ? b : a);

/**
 * What a key restricted to projects (`projectIds`) may use on a route that names none of its
 * projects: reading the organization itself and listing projects (the listing shows it only its
 * own). Every other such route acts on the whole organization (members, invitations, API keys,
 * organization keys, the audit trail, settings, creating projects) and refuses the key (403): a key
 * limited to some projects never reaches beyond them. On a route that names one of its projects
 * (`{projectId}`), its role decides.
 */
export const ProjectKeyOrgWidePermissions: ReadonlySet<Permission> = new Set<Permission>(['org:read', 'projects:read']);

/** Whether a project-restricted key may use `permission` on a route that does (or does not) name a project. */
export const projectKeyMayUse = (permission: Permission, namesProject: boolean): boolean => namesProject || ProjectKeyOrgWidePermissions.has(permission);

/** The lowest role that holds a permission (for messages and the generated tests). */
export function minimumRole(permission: Permission): Role {
  const role = [...Roles].reverse().find((r) => roleAllows(r, permission));
  if (!role) throw new Error(`no role holds ${permission}`);
  return role;
}

export const isRole = (value: string): value is Role => (Roles as readonly string[]).includes(value);
