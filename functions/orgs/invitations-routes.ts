import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { defineRoute } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { InvitationView } from './invitations';
import { OrgView } from './organizations';

const Role = z.enum(Roles);

export const createInvitation = defineRoute({
  id: 'createInvitation',
  method: 'POST',
  path: '/v1/orgs/{orgId}/invitations',
  domain: 'orgs',
  summary: 'Invites someone to an organization by email',
  description:
    'Mails a link that adds the invitee with the given role; it is valid for 7 days and works once. Owners and admins invite, but only owners invite owners and admins.',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'action',
  request: {
    params: z.object({ orgId: Ids.org.schema }),
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
  summary: 'Lists the pending invitations of an organization',
  description: 'The invitations not yet accepted, revoked or expired, with the invited addresses; owners and admins may read them.',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: Ids.org.schema }) },
  success: { status: 200, description: 'Pending invitations', schema: z.object({ invitations: z.array(InvitationView) }) },
  errors: [403, 404],
});

export const revokeInvitation = defineRoute({
  id: 'revokeInvitation',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/invitations/{invitationId}',
  domain: 'orgs',
  summary: 'Revokes a pending invitation',
  description: 'Revokes a pending invitation: its link stops working at once. Owners and admins may.',
  auth: { kind: 'permission', permission: 'invitations:manage' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: Ids.org.schema, invitationId: Ids.invitation.schema }) },
  success: { status: 204, description: 'Revoked', schema: NoContent },
  errors: [403, 404],
});

export const acceptInvitation = defineRoute({
  id: 'acceptInvitation',
  method: 'POST',
  path: '/v1/invitations/accept',
  domain: 'orgs',
  summary: 'Accepts an invitation',
  description:
    'Joins an organization with an invitation link, in the role it names. The signed-in account must have verified the invited address; an invalid, used or expired link is refused.',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a valid token.') }) },
  success: { status: 200, description: 'The organization joined', schema: OrgView.extend({ role: Role }) },
  errors: [400, 403, 409, 429],
});

export const invitationRoutes = [createInvitation, listInvitations, revokeInvitation, acceptInvitation] as const;
