import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { defineRoute } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { OrgView } from './organizations';

const OrgName = z.string().trim().min(1).max(100);
const Role = z.enum(Roles);

export const createOrg = defineRoute({
  id: 'createOrg',
  method: 'POST',
  path: '/v1/orgs',
  domain: 'orgs',
  summary: 'Creates an organization',
  description: 'Creates an organization with its own key; its creator becomes its owner. API keys cannot create organizations.',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  request: { body: z.object({ name: OrgName }) },
  success: { status: 201, description: 'The organization', schema: OrgView.extend({ role: Role }) },
  errors: [400],
});

export const listOrgs = defineRoute({
  id: 'listOrgs',
  method: 'GET',
  path: '/v1/orgs',
  domain: 'orgs',
  summary: 'Lists the organizations I belong to',
  description: 'The organizations the signed-in person is a member of, oldest first, with their role in each.',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 200, description: 'Organizations', schema: z.object({ orgs: z.array(OrgView.extend({ role: Role })) }) },
});

export const getOrg = defineRoute({
  id: 'getOrg',
  method: 'GET',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Gets an organization',
  description: "An organization and the caller's role in it; any member may read it.",
  auth: { kind: 'permission', permission: 'org:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: Ids.org.schema }) },
  success: { status: 200, description: 'The organization', schema: OrgView.extend({ role: Role }) },
  errors: [403, 404],
});

export const updateOrg = defineRoute({
  id: 'updateOrg',
  method: 'PATCH',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Renames an organization',
  description: 'Renames an organization; owners and admins may. A concurrent change of the organization is refused (412).',
  auth: { kind: 'permission', permission: 'org:update' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: Ids.org.schema }), body: z.object({ name: OrgName }) },
  success: { status: 200, description: 'The organization', schema: OrgView },
  errors: [400, 403, 404, 412],
});

export const deleteOrg = defineRoute({
  id: 'deleteOrg',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Deletes an organization',
  description: 'Deletes an organization with its members, invitations and API keys; owners only. Refused (409) while it still has projects.',
  auth: { kind: 'permission', permission: 'org:delete' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: Ids.org.schema }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [403, 404, 409],
});

export const organizationRoutes = [createOrg, listOrgs, getOrg, updateOrg, deleteOrg] as const;
