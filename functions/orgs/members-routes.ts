import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { can, defineRoute } from '../kernel/http/route';
import { NoContent, OrgParams } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { MemberView } from './members';

const MemberList = z.object({ members: z.array(MemberView) });
const RoleChange = z.object({ role: z.enum(Roles) });
const MemberParams = OrgParams.extend({ userId: Ids.user.schema });

export const listMembers = defineRoute({
  id: 'listMembers',
  method: 'GET',
  path: '/v1/orgs/{orgId}/members',
  domain: 'orgs',
  summary: 'Lists the members of an organization',
  description: 'The members of an organization and their roles; any member may read them.',
  auth: can('members:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'Members',
    schema: MemberList,
  },
});

export const changeMemberRole = defineRoute({
  id: 'changeMemberRole',
  method: 'PATCH',
  path: '/v1/orgs/{orgId}/members/{userId}',
  domain: 'orgs',
  summary: "Changes a member's role",
  description: "Changes a member's role; owners and admins may, but only owners grant or take the owner and admin roles. Refused (409) when it would leave the organization without an owner.",
  auth: can('members:manage'),
  rateLimit: 'action',
  request: {
    params: MemberParams,
    body: RoleChange,
  },
  success: {
    status: 200,
    description: 'The member',
    schema: MemberView,
  },
  errors: [409],
});

export const removeMember = defineRoute({
  id: 'removeMember',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/members/{userId}',
  domain: 'orgs',
  summary: 'Removes a member',
  description: 'Removes a member, ending their access at once; owners and admins may, but only owners remove owners and admins. Refused (409) for the last owner.',
  auth: can('members:manage'),
  rateLimit: 'action',
  request: {
    params: MemberParams,
  },
  success: {
    status: 204,
    description: 'Removed',
    schema: NoContent,
  },
  errors: [409],
});

export const memberRoutes = [listMembers, changeMemberRole, removeMember] as const;
