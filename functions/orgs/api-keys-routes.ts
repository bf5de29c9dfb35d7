import { z } from 'zod';
import { Roles } from '../kernel/auth/permissions';
import { can, defineRoute } from '../kernel/http/route';
import { FreeText, NoContent, OrgParams } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { ApiKeyView } from './api-keys';

const ApiKeyParams = OrgParams.extend({ keyId: Ids.apiKey.schema });
/** The key as issued: with its secret, the only time it is shown. */
const ApiKeyWithSecret = ApiKeyView.extend({ key: z.string() }).meta({ id: 'ApiKeyWithSecret' });
const ApiKeyList = z.object({ apiKeys: z.array(ApiKeyView) });
const NewApiKey = z.strictObject({
  name: FreeText({ max: 100 }),
  role: z.enum(Roles),
  projectIds: z
    .array(Ids.project.schema)
    .min(1)
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, 'Project ids repeat.')
    .optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export const createApiKey = defineRoute({
  id: 'createApiKey',
  method: 'POST',
  path: '/v1/orgs/{orgId}/api-keys',
  domain: 'orgs',
  summary: 'Issues an API key',
  description: "Issues an API key, shown once, with a role no higher than its creator's, optionally limited to some projects and to a lifetime of at most a year. Owners and admins may, as people: a key cannot issue keys.",
  auth: can('apikeys:manage'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
    body: NewApiKey,
  },
  success: {
    status: 201,
    description: 'The key, with its secret: the only time it is shown',
    schema: ApiKeyWithSecret,
  },
});

export const listApiKeys = defineRoute({
  id: 'listApiKeys',
  method: 'GET',
  path: '/v1/orgs/{orgId}/api-keys',
  domain: 'orgs',
  summary: 'Lists the API keys of an organization',
  description: 'The API keys of an organization, oldest first, never with their secrets, each with when it was last used (to the minute). Owners and admins may.',
  auth: can('apikeys:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'API keys',
    schema: ApiKeyList,
  },
});

export const revokeApiKey = defineRoute({
  id: 'revokeApiKey',
  method: 'DELETE',
  path: '/v1/orgs/{orgId}/api-keys/{keyId}',
  domain: 'orgs',
  summary: 'Revokes an API key',
  description: 'Revokes an API key: the next request made with it is refused. Owners and admins may.',
  auth: can('apikeys:manage'),
  rateLimit: 'action',
  request: {
    params: ApiKeyParams,
  },
  success: {
    status: 204,
    description: 'Revoked',
    schema: NoContent,
  },
});

export const apiKeyRoutes = [createApiKey, listApiKeys, revokeApiKey] as const;
