import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import { ValidationError } from '../errors';
import type { Platform } from '../platform/platform';
import { authorizeRequest } from './authorize-request';
import { defineRoute } from './route';

const orgRoute = defineRoute({
  id: 'getThing',
  method: 'GET',
  path: '/v1/orgs/{orgId}',
  domain: 'orgs',
  summary: 'r',
  auth: { kind: 'permission', permission: 'org:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: z.string() }) },
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const publicRoute = defineRoute({ id: 'open', method: 'GET', path: '/v1/open', domain: 'platform', summary: 'r', auth: { kind: 'public' }, rateLimit: 'general', success: { status: 200, description: 'ok', schema: z.object({}) } });

// The chain itself (requireOrg, requireResources) is tested against DynamoDB Local (test/http/cross-tenant.test.ts);
// here, what this step decides before it reads anything.
const untouchable = () => {
  throw new Error('the platform must not be used');
};

describe('authorizeRequest', () => {
  it('leaves routes that need no permission alone', async () => {
    const request = testRequest({}, { route: publicRoute });
    await authorizeRequest({ platform: untouchable as () => Platform }).before!(request);
    expect(request.internal.org).toBeUndefined();
  });

  it('refuses invalid path parameters (400) before reading anything', async () => {
    const request = testRequest({}, {
      route: orgRoute,
      principal: { type: 'user', userId: 'u_1', sessionId: 's_1' },
      params: { ok: false, issues: [{ path: 'params.orgId', message: 'Not an organization id.' }] },
    });
    await expect(authorizeRequest({ platform: untouchable as () => Platform }).before!(request)).rejects.toBeInstanceOf(ValidationError);
  });

  it('runs only after authentication and path parsing', async () => {
    await expect(authorizeRequest({ platform: untouchable as () => Platform }).before!(testRequest({}, { route: orgRoute }))).rejects.toThrow(/after authentication/);
  });
});
