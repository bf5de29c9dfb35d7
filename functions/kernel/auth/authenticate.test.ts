import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isolatedSigningKeys, manualClock, type IsolatedSigningKeys } from '../../../test/support/signing-keys';
import { UnauthenticatedError } from '../errors';
import { Keys } from '../storage/keys';
import { AccessTokens } from './access-tokens';
import { createAuthenticator } from './authenticate';
import type { Authenticator } from './authenticator';
import { SessionRecord, Sessions } from '../accounts/session-record';

// Over a table of its own: issuing tokens creates a signing key, and signing keys are global.

const id = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

describe('createAuthenticator', () => {
  let env: IsolatedSigningKeys;
  let clock: ReturnType<typeof manualClock>;
  let tokens: AccessTokens;
  let authenticate: Authenticator;

  beforeAll(async () => {
    env = await isolatedSigningKeys();
  });

  beforeEach(() => {
    clock = manualClock();
    tokens = new AccessTokens(env.store, clock.now);
    authenticate = createAuthenticator({ table: env.table, tokens, now: clock.now });
  });

  /** Stores a session (active unless overridden) and returns it with an access token bound to it. */
  async function sessionWithToken(overrides: Partial<SessionRecord> = {}) {
    const nowSeconds = Math.floor(clock.now() / 1000);
    const session = SessionRecord.parse({
      sessionId: id('s'),
      userId: id('u'),
      status: 'active',
      createdAt: clock.date().toISOString(),
      lastUsedAt: clock.date().toISOString(),
      absoluteExpiresAt: nowSeconds + 30 * 24 * 3600,
      idleExpiresAt: nowSeconds + 7 * 24 * 3600,
      refreshTokenHash: randomBytes(32).toString('hex'),
      ip: '203.0.113.7',
      version: 1,
      ...overrides,
    });
    await env.table.put({ ...Keys.session(session.userId, session.sessionId), ...session });
    const { token } = await tokens.issue({ userId: session.userId, sessionId: session.sessionId });
    return { session, token };
  }

  async function expectRefused(authorization: string | undefined) {
    const outcome = await authenticate({ authorization }).then(
      (principal) => ({ accepted: principal }),
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(UnauthenticatedError);
    expect((outcome as UnauthenticatedError).code).toBe('unauthenticated');
    expect((outcome as UnauthenticatedError).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  }

  it('turns a valid bearer token of an active session into a user principal', async () => {
    const { session, token } = await sessionWithToken();

    await expect(authenticate({ authorization: `Bearer ${token}` })).resolves.toEqual({
      type: 'user',
      userId: session.userId,
      sessionId: session.sessionId,
    });
  });

  describe('the Authorization header', () => {
    it('matches the Bearer scheme case-insensitively (RFC 7235)', async () => {
      const { session, token } = await sessionWithToken();
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        await expect(authenticate({ authorization: `${scheme} ${token}` })).resolves.toMatchObject({ userId: session.userId });
      }
    });

    it('refuses a request without one', async () => {
      await expectRefused(undefined);
      await expectRefused('');
    });

    it('refuses other schemes, even around a valid token', async () => {
      const { token } = await sessionWithToken();
      for (const header of [token, `Basic ${Buffer.from('user:password').toString('base64')}`, `Token ${token}`, `JWT ${token}`, `Digest ${token}`, `MAC ${token}`]) {
        await expectRefused(header);
      }
    });

    it('refuses a valid token with stray whitespace or a second credential', async () => {
      const { token } = await sessionWithToken();
      for (const header of [`Bearer  ${token}`, ` Bearer ${token}`, `Bearer ${token} `, `Bearer\t${token}`, `Bearer ${token}\n`, `Bearer\n${token}`, `Bearer ${token} ${token}`, `Bearer ${token},Bearer ${token}`, 'Bearer', 'Bearer ']) {
        await expectRefused(header);
      }
    });

    it('refuses a malformed API key before any read', async () => {
      const get = vi.spyOn(env.table, 'get');
      try {
        await expectRefused(`Bearer rmp_live_${randomBytes(24).toString('base64url')}`);
        await expectRefused(`Bearer rmp_${'a'.repeat(40)}`);
        await expectRefused(`Bearer rmp_${'A'.repeat(20)}_${randomBytes(32).toString('base64url')}`);
        await expectRefused(`Bearer rmp_${randomBytes(10).toString('hex')}_${randomBytes(31).toString('base64url')}`);
        expect(get).not.toHaveBeenCalled();
      } finally {
        get.mockRestore();
      }
    });

    it('refuses a well-formed API key nobody issued', async () => {
      await expectRefused(`Bearer rmp_${randomBytes(10).toString('hex')}_${randomBytes(32).toString('base64url')}`);
    });

    it('refuses a token longer than 4096 characters without verifying it', async () => {
      const verify = vi.spyOn(tokens, 'verify');
      await expectRefused(`Bearer ${'a'.repeat(4097)}`);
      expect(verify).not.toHaveBeenCalled();
    });
  });

  describe('the session', () => {
    it('refuses a valid token whose session was revoked', async () => {
      const { token } = await sessionWithToken({ status: 'revoked', revokedAt: clock.date().toISOString(), revokedReason: 'logout' });
      await expectRefused(`Bearer ${token}`);
    });

    it('refuses a valid token whose session is past its idle or absolute lifetime', async () => {
      const nowSeconds = Math.floor(clock.now() / 1000);
      await expectRefused(`Bearer ${(await sessionWithToken({ idleExpiresAt: nowSeconds })).token}`);
      await expectRefused(`Bearer ${(await sessionWithToken({ absoluteExpiresAt: nowSeconds })).token}`);
    });

    it('refuses a valid token for a session that does not exist', async () => {
      const { token } = await tokens.issue({ userId: id('u'), sessionId: id('s') });
      await expectRefused(`Bearer ${token}`);
    });

    it("refuses a token that pairs one user with another user's session", async () => {
      const { session: victim } = await sessionWithToken();
      const { token } = await tokens.issue({ userId: id('u'), sessionId: victim.sessionId });
      await expectRefused(`Bearer ${token}`);
    });

    it('reads the session consistently on every request: nothing is cached', async () => {
      const { session, token } = await sessionWithToken();
      const get = vi.spyOn(env.table, 'get');
      try {
        for (let i = 0; i < 5; i++) await authenticate({ authorization: `Bearer ${token}` });
        expect(get).toHaveBeenCalledTimes(5);
        expect(get).toHaveBeenCalledWith(Keys.session(session.userId, session.sessionId), SessionRecord, { consistent: true });
      } finally {
        get.mockRestore();
      }
    });

    it('refuses a session at once once it is revoked or deleted', async () => {
      const { session, token } = await sessionWithToken();
      await authenticate({ authorization: `Bearer ${token}` });
      await env.table.put({ ...Keys.session(session.userId, session.sessionId), ...session, status: 'revoked', revokedAt: clock.date().toISOString() });
      await expectRefused(`Bearer ${token}`);

      const other = await sessionWithToken();
      await authenticate({ authorization: `Bearer ${other.token}` });
      await env.table.transact([Sessions.at(other.session.userId, other.session.sessionId).delete()]);
      await expectRefused(`Bearer ${other.token}`);
    });
  });
});
