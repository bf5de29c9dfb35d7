import { z } from 'zod';
import { can, defineRoute, signedIn } from '../kernel/http/route';
import { FreeText, NoContent, OrgParams } from '../kernel/http/schemas';
import { OrgMembershipView, OrgView } from './organizations';

const MyOrgs = z.object({ orgs: z.array(OrgMembershipView) });
/** What creating and renaming an organization take: its name. */
const OrganizationName = z.object({ name: FreeText({ max: 100 }) }).meta({ id: 'OrganizationName' });

export const createOrg = defineRoute({
  id: 'createOrg',
  method: 'POST',
  path: '/v1/orgs',
  domain: 'orgs',
  summary: 'Creates an organization',
  description: 'Creates an organization with its own key; its creator becomes its owner. API keys cannot create organizations.',
  auth: signedIn,
  rateLimit: 'general',
  request: {
    body: OrganizationName,
  },
  success: {
    status: 201,
    description: 'The organization',
    schema: OrgMembershipView,
  },
});

export const listOrgs = defineRoute({
  id: 'listOrgs',
  method: 'GET',
  path: '/v1/orgs',
  domain: 'orgs',
  summary: 'Lists the organizations I belong to',
  description: 'The organizations the signed-in person is a member of, oldest first, with their role in each.',
  auth: signedIn,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'Organizations',
    schema: MyOrgs,
  },
});

export const getOrg = defineRoute({
  id: 'getOrg',
  method: 'GET',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Gets an organization',
  description: "An organization and the caller's role in it; any member may read it.",
  auth: can('org:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'The organization',
    schema: OrgMembershipView,
  },
});

export const updateOrg = defineRoute({
  id: 'updateOrg',
  method: 'PATCH',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Renames an organization',
  description: 'Renames an organization; owners and admins may. A concurrent change of the organization is refused (412).',
  auth: can('org:update'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
    body: OrganizationName,
  },
  success: {
    status: 200,
    description: 'The organization',
    schema: OrgView,
  },
  errors: [412],
});

export const deleteOrg = defineRoute({
  id: 'deleteOrg',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Deletes an organization',
  description: 'Deletes an organization with its members, invitations and API keys; owners only. Refused (409) while it still has projects.',
  auth: can('org:delete'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
  },
  success: {
    status: 204,
    description: 'Deleted',
    schema: NoContent,
  },
  errors: [409],
});

export const organizationRoutes = [createOrg, listOrgs, getOrg, updateOrg, deleteOrg] as const;
