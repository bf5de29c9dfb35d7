import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import type { Principal } from '../auth/principal';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { Platform } from '../platform/platform';
import { authenticateRequest } from './authenticate-request';
import { defineRoute, type AuthRequirement } from './route';

const routeWith = (auth: AuthRequirement) =>
  defineRoute({ id: 'r', method: 'GET', path: '/v1/orgs/{orgId}', domain: 'orgs', summary: 'r', auth, rateLimit: 'general', request: { params: z.object({ orgId: z.string() }) }, success: { status: 200, description: 'ok', schema: z.object({}) } });

const user: Principal = { type: 'user', userId: 'u_1', sessionId: 's_1' };
const apiKey: Principal = { type: 'api_key', keyId: 'k', orgId: 'o_1', role: 'viewer', createdBy: 'u_1' };

async function authenticate(auth: AuthRequirement, principal: Principal | Error, authorization?: string | string[]) {
  const authenticator = vi.fn(async () => {
    if (principal instanceof Error) throw principal;
    return principal;
  });
  const values = authorization === undefined ? [] : [authorization].flat();
  const request = testRequest(
    { headers: values.length > 0 ? { Authorization: values.at(-1)! } : {}, multiValueHeaders: values.length > 0 ? { Authorization: values } : {} },
    { route: routeWith(auth) },
  );
  await authenticateRequest({ platform: () => ({ authenticate: authenticator }) as unknown as Platform }).before!(request);
  return { principal: request.internal.principal, authenticator };
}

describe('authenticateRequest', () => {
  it('asks nothing of a public route', async () => {
    const { principal, authenticator } = await authenticate({ kind: 'public' }, user);
    expect(principal).toBeUndefined();
    expect(authenticator).not.toHaveBeenCalled();
  });

  it('hands the Authorization header to the platform authenticator and keeps the principal', async () => {
    const { principal, authenticator } = await authenticate({ kind: 'permission', permission: 'org:read' }, apiKey, 'Bearer rmp_x');
    expect(authenticator).toHaveBeenCalledWith({ authorization: 'Bearer rmp_x' });
    expect(principal).toBe(apiKey);
  });

  it('refuses two Authorization headers before authenticating either, even when both are the same', async () => {
    await expect(authenticate({ kind: 'authenticated' }, user, ['Bearer jwt', 'Bearer other'])).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authenticate({ kind: 'authenticated' }, user, ['Bearer jwt', 'Bearer jwt'])).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it("refuses what the authenticator refuses, and an API key on a person's route", async () => {
    await expect(authenticate({ kind: 'authenticated' }, new UnauthenticatedError())).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authenticate({ kind: 'authenticated' }, apiKey, 'Bearer rmp_x')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(authenticate({ kind: 'authenticated' }, user, 'Bearer jwt')).resolves.toMatchObject({ principal: user });
  });
});
