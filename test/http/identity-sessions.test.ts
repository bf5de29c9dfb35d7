import { describe, expect, inject, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { secretHash } from '../../functions/identity/one-time-tokens';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { bearer, GOOD_PASSWORD, logIn, signUpVerifiedUser } from '../support/identity';
import { useTestApi } from '../support/platform';

describe('identity: sessions and refresh tokens', () => {
  const { api } = useTestApi();

  const refresh = (refreshToken: string) => api.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
  const me = (accessToken: string) => api.request('GET', '/v1/me', { headers: bearer(accessToken) });

  it('issues a 15-minute access token and an opaque refresh token stored only as its hash', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    expect(user.refreshToken).toMatch(/^rmr_[A-Za-z0-9_-]{43}$/);
    const items = await api.platform.table.doc.send(
      new QueryCommand({ TableName: inject('tableName'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `REFRESH#${secretHash(user.refreshToken)}` } }),
    );
    expect(items.Items).toHaveLength(1);
    expect(JSON.stringify(items.Items)).not.toContain(user.refreshToken);
    const [, payload] = user.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('rotates the refresh token on every use', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).not.toBe(user.refreshToken);
    expect((await me(first.json.accessToken)).status).toBe(200);
    const second = await refresh(first.json.refreshToken);
    expect(second.status).toBe(200);
  });

  it('revokes the whole session when a used refresh token is presented again', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const rotated = await refresh(user.refreshToken);
    const reuse = await refresh(user.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.json.error.code).toBe('refresh_token_reused');
    // The legitimate client's newer token dies with the session.
    const after = await refresh(rotated.json.refreshToken);
    expect(after.status).toBe(400);
    expect(after.json.error.code).toBe('invalid_token');
    const chain = await verifyAuditChain(api.platform.table, `user:${user.userId}`);
    expect(chain.ok).toBe(true);
  });

  it('lets exactly one of two concurrent refreshes with the same token win, and revokes on the other', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });

  it('refuses malformed and unknown refresh tokens', async () => {
    expect((await refresh('nope')).status).toBe(400);
    const unknown = await refresh(`rmr_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('invalid_token');
  });

  it('lists my sessions with the current one flagged, and revokes another one', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const second = await logIn(api, user.email, GOOD_PASSWORD);
    const list = await api.request('GET', '/v1/auth/sessions', { headers: bearer(user.accessToken) });
    expect(list.status).toBe(200);
    expect(list.json.sessions).toHaveLength(2);
    const current = list.json.sessions.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    expect(list.json.sessions[0]).toEqual({ sessionId: expect.stringMatching(/^s_/), userAgent: 'vitest', ip: expect.stringMatching(/^127\./), createdAt: expect.any(String), lastUsedAt: expect.any(String), current: expect.any(Boolean) });
    const other = list.json.sessions.find((s: { current: boolean }) => !s.current);

    expect((await api.request('DELETE', `/v1/auth/sessions/${other.sessionId}`, { headers: bearer(user.accessToken) })).status).toBe(204);
    expect((await refresh(second.refreshToken)).status).toBe(400);
    const again = await api.request('DELETE', `/v1/auth/sessions/${other.sessionId}`, { headers: bearer(user.accessToken) });
    expect(again.status).toBe(404);
    const remaining = await api.request('GET', '/v1/auth/sessions', { headers: bearer(user.accessToken) });
    expect(remaining.json.sessions).toHaveLength(1);
  });

  it("cannot see or revoke another user's session (404, as if it did not exist)", async () => {
    const alice = await signUpVerifiedUser(api, api.outbox);
    const bob = await signUpVerifiedUser(api, api.outbox);
    const bobs = await api.request('GET', '/v1/auth/sessions', { headers: bearer(bob.accessToken) });
    const bobSession = bobs.json.sessions[0].sessionId;
    const attempt = await api.request('DELETE', `/v1/auth/sessions/${bobSession}`, { headers: bearer(alice.accessToken) });
    expect(attempt.status).toBe(404);
    expect((await me(bob.accessToken)).status).toBe(200);
    expect((await refresh(bob.refreshToken)).status).toBe(200);
  });

  it('logs out: the refresh token dies at once', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    expect((await api.request('POST', '/v1/auth/logout', { headers: bearer(user.accessToken) })).status).toBe(204);
    expect((await refresh(user.refreshToken)).status).toBe(400);
  });

  it('refuses requests without a token, with a malformed one, or with a forged signature', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    expect((await api.request('GET', '/v1/me')).status).toBe(401);
    expect((await api.request('GET', '/v1/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })).status).toBe(401);
    const [h, p, sig] = user.accessToken.split('.');
    const flipped = `${h}.${p}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'BA' : 'AA'}`;
    const forged = await me(flipped);
    expect(forged.status).toBe(401);
    expect(forged.json.error.code).toBe('unauthenticated');
    expect(forged.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('stops accepting the access token of a revoked session at once', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    expect((await me(user.accessToken)).status).toBe(200);
    expect((await api.request('POST', '/v1/auth/logout', { headers: bearer(user.accessToken) })).status).toBe(204);
    const after = await me(user.accessToken);
    expect(after.status).toBe(401);
    expect(after.json.error).toMatchObject({ code: 'unauthenticated', message: 'The session has ended; log in again.' });
  });
});
