import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpVerifiedUser, type TestUser } from '../support/identity';
import { randomLoopbackIp, startTestApi, type TestApi } from '../support/platform';

/** GET /v1/me with the Authorization header lines given, as the client sends them. */
function me(api: TestApi, authorization: string[]): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}/v1/me`, { method: 'GET', headers: ['Host', new URL(api.url).host, ...authorization.flatMap((value) => ['Authorization', value])], localAddress: randomLoopbackIp() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { error?: { code: string } }).error?.code }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('credential forms', () => {
  let api: TestApi;
  let user: TestUser;
  beforeAll(async () => {
    api = await startTestApi();
    user = await signUpVerifiedUser(api, api.outbox);
  });
  afterAll(() => api.close());

  it('accepts the token as issued (the control for the forms below)', async () => {
    expect(await me(api, [`Bearer ${user.accessToken}`])).toMatchObject({ status: 200 });
  });

  it('refuses a request carrying two Authorization headers, whatever they hold', async () => {
    expect(await me(api, [`Bearer ${user.accessToken}`, 'Bearer x'])).toEqual({ status: 401, code: 'unauthenticated' });
    expect(await me(api, ['Bearer x', `Bearer ${user.accessToken}`])).toEqual({ status: 401, code: 'unauthenticated' });
    expect(await me(api, [`Bearer ${user.accessToken}`, `Bearer ${user.accessToken}`])).toEqual({ status: 401, code: 'unauthenticated' });
  });

  it('refuses the signature padded, or with non-zero trailing bits in its last character', async () => {
    const [h, p, s] = user.accessToken.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(s.at(-1)!);
    const sameBytes = `${s.slice(0, -1)}${alphabet[(index & ~0b1111) | ((index + 1) & 0b1111)]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect(await me(api, [`Bearer ${h}.${p}.${s}==`])).toEqual({ status: 401, code: 'unauthenticated' });
    expect(await me(api, [`Bearer ${h}.${p}.${sameBytes}`])).toEqual({ status: 401, code: 'unauthenticated' });
  });
});
