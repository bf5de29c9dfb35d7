import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { defineRoute } from '../kernel/http/route';
import { ApiKeyView } from './api-keys';

const OrgId = z.string().regex(/^o_[0-9a-f]{32}$/, 'Not an organization id.');
const KeyId = z.string().regex(/^[0-9a-f]{20}$/, 'Not an API key id.');
const ProjectId = z.string().regex(/^p_[0-9a-f]{32}$/, 'Not a project id.');
const NoContent = z.object({});

export const createApiKey = defineRoute({
  id: 'createApiKey',
  method: 'POST',
  path: '/v1/orgs/{orgId}/api-keys',
  domain: 'orgs',
  summary: "Issues an API key (shown once) with a role no higher than its creator's, optionally limited to projects and in time",
  auth: { kind: 'permission', permission: 'apikeys:manage' },
  rateLimit: 'action',
  request: {
    params: z.object({ orgId: OrgId }),
    body: z.strictObject({
      name: z.string().trim().min(1).max(100),
      role: z.enum(Roles),
      projectIds: z
        .array(ProjectId)
        .min(1)
        .max(20)
        .refine((ids) => new Set(ids).size === ids.length, 'Project ids repeat.')
        .optional(),
      expiresAt: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  success: { status: 201, description: 'The key, with its secret: the only time it is shown', schema: ApiKeyView.extend({ key: z.string() }) },
  errors: [400, 403, 404],
});

export const listApiKeys = defineRoute({
  id: 'listApiKeys',
  method: 'GET',
  path: '/v1/orgs/{orgId}/api-keys',
  domain: 'orgs',
  summary: 'The API keys of an organization (never their secrets), with when each was last used, to the minute',
  auth: { kind: 'permission', permission: 'apikeys:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 200, description: 'API keys', schema: z.object({ apiKeys: z.array(ApiKeyView) }) },
  errors: [403, 404],
});

export const revokeApiKey = defineRoute({
  id: 'revokeApiKey',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/api-keys/{keyId}',
  domain: 'orgs',
  summary: 'Revokes an API key; the next request with it is refused',
  auth: { kind: 'permission', permission: 'apikeys:manage' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId, keyId: KeyId }) },
  success: { status: 204, description: 'Revoked', schema: NoContent },
  errors: [403, 404],
});

export const apiKeyRoutes = [createApiKey, listApiKeys, revokeApiKey] as const;
