import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { defineRoute } from '../kernel/http/route';
import { InvitationView } from './invitations';
import { apiKeyRoutes } from './api-key-routes';
import { orgKeyRoutes } from './org-key-routes';
import { OrgView } from './organizations';

const OrgId = z.string().regex(/^o_[0-9a-f]{32}$/, 'Not an organization id.');
const UserId = z.string().regex(/^u_[0-9a-f]{32}$/, 'Not a user id.');
const OrgName = z.string().trim().min(1).max(100);
const Role = z.enum(Roles);
const Member = z.object({ userId: z.string(), role: Role, joinedAt: z.string() });
const NoContent = z.object({});

export const createOrg = defineRoute({
  id: 'createOrg',
  method: 'POST',
  path: '/v1/orgs',
  domain: 'orgs',
  summary: 'Creates an organization; its creator becomes its owner',
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
  summary: 'The organizations I belong to, with my role in each',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 200, description: 'Organizations', schema: z.object({ orgs: z.array(OrgView.extend({ role: Role })) }) },
});

export const getOrg = defineRoute({
  id: 'getOrg',
  method: 'GET',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'An organization',
  auth: { kind: 'permission', permission: 'org:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 200, description: 'The organization', schema: OrgView.extend({ role: Role }) },
  errors: [403, 404],
});

export const updateOrg = defineRoute({
  id: 'updateOrg',
  method: 'PATCH',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Renames an organization',
  auth: { kind: 'permission', permission: 'org:update' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }), body: z.object({ name: OrgName }) },
  success: { status: 200, description: 'The organization', schema: OrgView },
  errors: [400, 403, 404, 412],
});

export const deleteOrg = defineRoute({
  id: 'deleteOrg',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'Deletes an organization (owner only); refused while it has projects',
  auth: { kind: 'permission', permission: 'org:delete' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 204, description: 'Deleted', schema: NoContent },
  errors: [403, 404, 409],
});

export const listMembers = defineRoute({
  id: 'listMembers',
  method: 'GET',
  path: '/v1/orgs/{orgId}/members',
  domain: 'orgs',
  summary: 'The members of an organization and their roles',
  auth: { kind: 'permission', permission: 'members:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 200, description: 'Members', schema: z.object({ members: z.array(Member) }) },
  errors: [403, 404],
});

export const changeMemberRole = defineRoute({
  id: 'changeMemberRole',
  method: 'PATCH',
  path: '/v1/orgs/{orgId}/members/{userId}',
  domain: 'orgs',
  summary: "Changes a member's role; only owners grant or take owner and admin; the last owner stays",
  auth: { kind: 'permission', permission: 'members:manage' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, userId: UserId }), body: z.object({ role: Role }) },
  success: { status: 200, description: 'The member', schema: Member },
  errors: [400, 403, 404, 409],
});

export const removeMember = defineRoute({
  id: 'removeMember',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/members/{userId}',
  domain: 'orgs',
  summary: 'Removes a member, ending their access at once; only owners remove owners and admins; the last owner stays',
  auth: { kind: 'permission', permission: 'members:manage' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, userId: UserId }) },
  success: { status: 204, description: 'Removed', schema: NoContent },
  errors: [403, 404, 409],
});

const InvitationId = z.string().regex(/^inv_[0-9a-f]{32}$/, 'Not an invitation id.');

export const createInvitation = defineRoute({
  id: 'createInvitation',
  method: 'POST',
  path: '/v1/orgs/{orgId}/invitations',
  domain: 'orgs',
  summary: 'Invites someone by email with a role; only owners invite owners and admins. The link is valid 7 days, once',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'action',
  request: {
    params: z.object({ orgId: OrgId }),
    body: z.object({ email: z.string().trim().max(254).pipe(z.email({ message: 'Enter a valid email address.' })), role: Role }),
  },
  success: { status: 201, description: 'The pending invitation (the link goes only to the invitee)', schema: InvitationView },
  errors: [400, 403, 404, 429],
});

export const listInvitations = defineRoute({
  id: 'listInvitations',
  method: 'GET',
  path: '/v1/orgs/{orgId}/invitations',
  domain: 'orgs',
  summary: 'Pending invitations',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 200, description: 'Pending invitations', schema: z.object({ invitations: z.array(InvitationView) }) },
  errors: [403, 404],
});

export const revokeInvitation = defineRoute({
  id: 'revokeInvitation',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/invitations/{invitationId}',
  domain: 'orgs',
  summary: 'Revokes a pending invitation; its link stops working at once',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, invitationId: InvitationId }) },
  success: { status: 204, description: 'Revoked', schema: NoContent },
  errors: [403, 404],
});

export const acceptInvitation = defineRoute({
  id: 'acceptInvitation',
  method: 'POST',
  path: '/v1/invitations/accept',
  domain: 'orgs',
  summary: 'Joins an organization with an invitation link; the signed-in account must own the invited, verified address',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a valid token.') }) },
  success: { status: 200, description: 'The organization joined', schema: OrgView.extend({ role: Role }) },
  errors: [400, 403, 409, 429],
});

export const orgRoutes = [
  createOrg,
  listOrgs,
  getOrg,
  updateOrg,
  deleteOrg,
  listMembers,
  changeMemberRole,
  removeMember,
  createInvitation,
  listInvitations,
  revokeInvitation,
  acceptInvitation,
  ...apiKeyRoutes,
  ...orgKeyRoutes,
] as const;
