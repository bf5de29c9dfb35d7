import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { can, defineRoute, signedIn } from '../kernel/http/route';
import { NoContent, OrgParams } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { InvitationView } from './invitations';
import { OrgMembershipView } from './organizations';

const NewInvitation = z.object({ email: z.string().trim().max(254).pipe(z.email({ message: 'Enter a valid email address.' })), role: z.enum(Roles) });
const InvitationList = z.object({ invitations: z.array(InvitationView) });
const InvitationParams = OrgParams.extend({ invitationId: Ids.invitation.schema });
/** The token of the invitation link. */
const InvitationToken = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a valid token.') });

export const createInvitation = defineRoute({
  id: 'createInvitation',
  method: 'POST',
  path: '/v1/orgs/{orgId}/invitations',
  domain: 'orgs',
  summary: 'Invites someone to an organization by email',
  description: 'Mails a link that adds the invitee with the given role; it is valid for 7 days and works once. Owners and admins invite, but only owners invite owners and admins.',
  auth: can('invitations:manage'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
    body: NewInvitation,
  },
  success: {
    status: 201,
    description: 'The pending invitation (the link goes only to the invitee)',
    schema: InvitationView,
  },
});

export const listInvitations = defineRoute({
  id: 'listInvitations',
  method: 'GET',
  path: '/v1/orgs/{orgId}/invitations',
  domain: 'orgs',
  summary: 'Lists the pending invitations of an organization',
  description: 'The invitations not yet accepted, revoked or expired, with the invited addresses; owners and admins may read them.',
  auth: can('invitations:manage'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'Pending invitations',
    schema: InvitationList,
  },
});

export const revokeInvitation = defineRoute({
  id: 'revokeInvitation',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/invitations/{invitationId}',
  domain: 'orgs',
  summary: 'Revokes a pending invitation',
  description: 'Revokes a pending invitation: its link stops working at once. Owners and admins may.',
  auth: can('invitations:manage'),
  rateLimit: 'action',
  request: {
    params: InvitationParams,
  },
  success: {
    status: 204,
    description: 'Revoked',
    schema: NoContent,
  },
});

export const acceptInvitation = defineRoute({
  id: 'acceptInvitation',
  method: 'POST',
  path: '/v1/invitations/accept',
  domain: 'orgs',
  summary: 'Accepts an invitation',
  description: 'Joins an organization with an invitation link, in the role it names. The signed-in account must have verified the invited address; an invalid, used or expired link is refused.',
  auth: signedIn,
  rateLimit: 'sensitive',
  request: {
    body: InvitationToken,
  },
  success: {
    status: 200,
    description: 'The organization joined',
    schema: OrgMembershipView,
  },
  errors: [409],
});

export const invitationRoutes = [createInvitation, listInvitations, revokeInvitation, acceptInvitation] as const;
