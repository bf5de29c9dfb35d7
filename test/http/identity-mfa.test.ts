import { createHash, randomBytes } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { base32Decode, timeStep, totp } from '../../functions/identity/totp';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { sealedKeyRef } from '../../functions/kernel/keys/aead';
import { RateLimitPolicies } from '../../functions/kernel/rate-limit/policies';
import { Keys } from '../../functions/kernel/storage/keys';
import { bearer, mailTo, signUpVerifiedUser, tokenFromMail, type TestUser } from '../support/identity';
import { httpRequest, randomLoopbackIp, useTestApi, type TestApi, type TestResponse } from '../support/platform';

/**
 * The two-factor journey over real HTTP: enrolment, login with a TOTP or recovery code, turning it
 * off, what is stored and what is audited.
 *
 * Two things about the harness:
 * - The clock is fake (only `Date`; the gateway runs in this process, so server and test share it).
 *   Each test starts in the middle of a 30 s step and moves the clock itself, so codes never race a
 *   step boundary, and lockouts and the 15-minute `reauth` rate limit can be waited out without waiting.
 * - Every test speaks from its own loopback address (127.x.y.z): the `auth` class counts per client
 *   address, and all test files would otherwise share 127.0.0.1's bucket, with this file's clock.
 */

const STEP_MS = 30_000;
const REAUTH = RateLimitPolicies.reauth;
const MFA_TOKEN_LIFETIME_MS = 5 * 60_000;

const { api } = useTestApi();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(timeStep(Date.now()) * STEP_MS + STEP_MS / 2);
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

// --- HTTP from a loopback address of the test's own -------------------------------------------

/** The test API as seen from a fresh loopback address (a rate-limit subject no other test shares). */
function client(): TestApi {
  const sourceIp = randomLoopbackIp();
  return {
    ...api,
    request: (method, path, init = {}) => httpRequest(api.url, method, path, { ...init, sourceIp, headers: { 'user-agent': 'vitest', ...(init.headers ?? {}) } }),
  };
}

// --- codes ------------------------------------------------------------------------------------

/** The code the user's authenticator shows `steps` steps from now. */
const codeAt = (secret: string, steps = 0) => totp(base32Decode(secret), Date.now() + steps * STEP_MS);

/** A 6-digit code that no step the server accepts right now produces. */
function wrongCode(secret: string): string {
  const window = new Set([-1, 0, 1].map((s) => codeAt(secret, s)));
  let n = Number(codeAt(secret));
  let candidate: string;
  do candidate = String(++n % 1_000_000).padStart(6, '0');
  while (window.has(candidate));
  return candidate;
}

// --- journey steps ----------------------------------------------------------------------------

interface MfaUser extends TestUser {
  readonly api: TestApi;
  readonly secret: string;
  readonly recoveryCodes: string[];
}

async function enrol(c: TestApi, user: TestUser): Promise<string> {
  const res = await c.request('POST', '/v1/auth/mfa/totp', { body: { password: user.password }, headers: bearer(user.accessToken) });
  expect(res.status, res.text).toBe(201);
  return res.json.secret as string;
}

/** A verified user with two-factor on, activated with the previous step's code (steps 0 and +1 stay fresh). */
async function mfaUser(): Promise<MfaUser> {
  const c = client();
  const user = await signUpVerifiedUser(c, c.outbox);
  const secret = await enrol(c, user);
  const res = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: codeAt(secret, -1) }, headers: bearer(user.accessToken) });
  expect(res.status, res.text).toBe(200);
  return { ...user, api: c, secret, recoveryCodes: res.json.recoveryCodes };
}

/** The password step of a login with two-factor on: the MFA token. */
async function passwordStep(user: MfaUser): Promise<string> {
  const res = await user.api.request('POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
  expect(res.status, res.text).toBe(200);
  expect(res.json.mfaRequired).toBe(true);
  return res.json.mfaToken as string;
}

const secondStep = (user: MfaUser, mfaToken: string, code: string) => user.api.request('POST', '/v1/auth/login/mfa', { body: { mfaToken, code } });

function expectError(res: TestResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.json?.error?.code).toBe(code);
}

async function expectWorkingAccessToken(c: TestApi, accessToken: string, userId: string): Promise<void> {
  const me = await c.request('GET', '/v1/me', { headers: bearer(accessToken) });
  expect(me.status, me.text).toBe(200);
  expect(me.json.userId).toBe(userId);
}

// --- raw table access -------------------------------------------------------------------------

async function queryPartition(pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await api.platform.table.doc.send(
      new QueryCommand({
        TableName: inject('tableName'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  return items;
}

/** Items as text for leak searches; binary attributes appear as hex and base64 alike. */
const asText = (items: unknown): string =>
  JSON.stringify(items, (_key, value) =>
    value instanceof Uint8Array ? `${Buffer.from(value).toString('hex')} ${Buffer.from(value).toString('base64')}` : value,
  );

/** The spellings in which a TOTP secret could leak: base32 either case, raw bytes as hex, base64, base64url. */
function secretSpellings(secret: string): string[] {
  const raw = Buffer.from(base32Decode(secret));
  return [secret.toUpperCase(), secret.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')];
}

/** A recovery code as shown, and reduced to its 12 symbols. */
const recoverySpellings = (code: string): string[] => [code, code.replace(/-/g, '')];

/** A 6-digit code standing on its own (not inside a longer run of letters or digits, as in a hash or a timestamp). */
const containsCode = (text: string, code: string) => new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(text);

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// --- tests ------------------------------------------------------------------------------------

describe('two-factor authentication (TOTP) over HTTP', () => {
  describe('enrolment', () => {
    it('starts enrolment with a base32 secret and an otpauth:// URI for the Rampart issuer', async () => {
      const c = client();
      const user = await signUpVerifiedUser(c, c.outbox);

      const res = await c.request('POST', '/v1/auth/mfa/totp', { body: { password: user.password }, headers: bearer(user.accessToken) });

      expect(res.status, res.text).toBe(201);
      const { secret, otpauthUri } = res.json as { secret: string; otpauthUri: string };
      expect(secret).toMatch(/^[A-Z2-7]+$/);
      expect(base32Decode(secret).byteLength).toBeGreaterThanOrEqual(20);
      expect(otpauthUri.startsWith('otpauth://totp/Rampart:')).toBe(true);
      expect(otpauthUri).toContain(`secret=${secret}`);
      expect(otpauthUri).toContain('issuer=Rampart');
      const params = new URL(otpauthUri).searchParams;
      expect(params.get('secret')).toBe(secret);
      expect(params.get('issuer')).toBe('Rampart');
      // Not on until a first code proves the authenticator has the secret.
      expect((await c.request('GET', '/v1/me', { headers: bearer(user.accessToken) })).json.mfaEnabled).toBe(false);
    });

    it('refuses a wrong first code, turns two-factor on with a valid one and returns ten distinct recovery codes once', async () => {
      const c = client();
      const user = await signUpVerifiedUser(c, c.outbox);
      const secret = await enrol(c, user);

      const wrong = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: wrongCode(secret) }, headers: bearer(user.accessToken) });
      expectError(wrong, 401, 'invalid_mfa_code');
      expect((await c.request('GET', '/v1/me', { headers: bearer(user.accessToken) })).json.mfaEnabled).toBe(false);

      const activated = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: codeAt(secret) }, headers: bearer(user.accessToken) });
      expect(activated.status, activated.text).toBe(200);
      const codes = activated.json.recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes.map((code) => code.toLowerCase())).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);

      const me = await c.request('GET', '/v1/me', { headers: bearer(user.accessToken) });
      expect(me.json.mfaEnabled).toBe(true);

      const again = await c.request('POST', '/v1/auth/mfa/totp', { body: { password: user.password }, headers: bearer(user.accessToken) });
      expectError(again, 409, 'conflict');
      expect(again.text).not.toContain(secret);
    });

    it('keeps the TOTP secret sealed and the recovery codes hashed at rest', async () => {
      const user = await mfaUser();

      const items = await queryPartition(Keys.userPartition(user.userId));
      const factor = items.find((item) => item.sk === Keys.totp(user.userId).sk);
      // The factor is there, in the form this test expects to search.
      // Sealed under the user's data key (rmp1, key reference user:<id>:pii:v1), not under the root key.
      expect(factor).toMatchObject({ status: 'active', sealedSecret: expect.stringMatching(/^rmp1\./) });
      expect(sealedKeyRef(String(factor!.sealedSecret))).toBe(`user:${user.userId}:pii:v1`);
      expect(factor!.recoveryCodeHashes).toHaveLength(10);

      const text = asText(items);
      for (const spelling of secretSpellings(user.secret)) expect(text).not.toContain(spelling);
      for (const code of user.recoveryCodes) for (const spelling of recoverySpellings(code)) expect(text.toLowerCase()).not.toContain(spelling);
    });
  });

  describe('login with two-factor on', () => {
    it('answers the password with an MFA challenge and no tokens, and the code with tokens that work', async () => {
      const user = await mfaUser();

      const login = await user.api.request('POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(login.status, login.text).toBe(200);
      expect(login.json).toEqual({ mfaRequired: true, mfaToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(login.json).not.toHaveProperty('accessToken');
      expect(login.json).not.toHaveProperty('refreshToken');

      const done = await secondStep(user, login.json.mfaToken, codeAt(user.secret));
      expect(done.status, done.text).toBe(200);
      expect(done.json.tokenType).toBe('Bearer');
      await expectWorkingAccessToken(user.api, done.json.accessToken, user.userId);
    });

    it('takes each MFA token once: presenting it again after a successful login fails', async () => {
      const user = await mfaUser();
      const mfaToken = await passwordStep(user);
      expect((await secondStep(user, mfaToken, codeAt(user.secret))).status).toBe(200);

      // A fresh code, so only the token can be what is refused.
      expectError(await secondStep(user, mfaToken, codeAt(user.secret, 1)), 401, 'invalid_mfa_code');
    });

    it('spends the MFA token on a wrong code, without burning the right code', async () => {
      const user = await mfaUser();
      const mfaToken = await passwordStep(user);

      expectError(await secondStep(user, mfaToken, wrongCode(user.secret)), 401, 'invalid_mfa_code');
      expectError(await secondStep(user, mfaToken, codeAt(user.secret)), 401, 'invalid_mfa_code');

      // The code refused with the spent token is still good with a new one: the token was checked first.
      const retry = await secondStep(user, await passwordStep(user), codeAt(user.secret));
      expect(retry.status, retry.text).toBe(200);
    });

    it('refuses a code whose step was already used, in a new login and for the activation code', async () => {
      const user = await mfaUser();
      // The activation code (previous step) cannot log in: activation burnt its step.
      expectError(await secondStep(user, await passwordStep(user), codeAt(user.secret, -1)), 401, 'invalid_mfa_code');

      const code = codeAt(user.secret, 1);
      expect((await secondStep(user, await passwordStep(user), code)).status).toBe(200);
      expectError(await secondStep(user, await passwordStep(user), code), 401, 'invalid_mfa_code');
      // A step before the last one used is refused too, though it is still inside the ±1 window.
      expectError(await secondStep(user, await passwordStep(user), codeAt(user.secret)), 401, 'invalid_mfa_code');
    });

    it('lets only one of two concurrent logins use the same code', async () => {
      const user = await mfaUser();
      const [first, second] = [await passwordStep(user), await passwordStep(user)];
      const code = codeAt(user.secret);

      const results = await Promise.all([secondStep(user, first, code), secondStep(user, second, code)]);

      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(results.find((r) => r.status === 401)!.json.error.code).toBe('invalid_mfa_code');
    });

    it('refuses an unknown, a tampered and another purpose\'s token as the MFA token', async () => {
      const user = await mfaUser();
      const code = codeAt(user.secret);

      expectError(await secondStep(user, randomBytes(32).toString('base64url'), code), 401, 'invalid_mfa_code');

      const mfaToken = await passwordStep(user);
      const tampered = `${mfaToken.slice(0, -2)}${mfaToken.slice(-2, -1) === 'A' ? 'B' : 'A'}${mfaToken.slice(-1)}`;
      expectError(await secondStep(user, tampered, code), 401, 'invalid_mfa_code');

      // A password-reset token of the same user is a valid token, of another purpose.
      expect((await user.api.request('POST', '/v1/auth/password/forgot', { body: { email: user.email } })).status).toBe(202);
      const resetToken = await tokenFromMail(user.api.outbox, user.email, /Reset/);
      expectError(await secondStep(user, resetToken, code), 401, 'invalid_mfa_code');

      // None of those attempts consumed the real token or burnt the code.
      expect((await secondStep(user, mfaToken, code)).status).toBe(200);
    });

    it('refuses a code from another user\'s authenticator', async () => {
      const [alice, mallory] = await Promise.all([mfaUser(), mfaUser()]);

      expectError(await secondStep(alice, await passwordStep(alice), codeAt(mallory.secret)), 401, 'invalid_mfa_code');
    });

    it('refuses an MFA token whose stored expiry has passed, though the item is still there', async () => {
      const user = await mfaUser();
      const mfaToken = await passwordStep(user);
      const key = Keys.oneTimeToken('mfa-login', sha256Hex(mfaToken));
      expect(key.pk).toBe(`OTT#mfa-login#${sha256Hex(mfaToken)}`);
      // DynamoDB's TTL deletes late (up to days): the server must compare the expiry itself.
      await api.platform.table.doc.send(
        new UpdateCommand({
          TableName: inject('tableName'),
          Key: key,
          UpdateExpression: 'SET expiresAt = :past',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
        }),
      );

      expectError(await secondStep(user, mfaToken, codeAt(user.secret)), 401, 'invalid_mfa_code');
    });

    it('accepts an MFA token for five minutes, and not after', async () => {
      const user = await mfaUser();
      const young = await passwordStep(user);
      advance(MFA_TOKEN_LIFETIME_MS - 1000);
      expect((await secondStep(user, young, codeAt(user.secret))).status).toBe(200);

      const old = await passwordStep(user);
      advance(MFA_TOKEN_LIFETIME_MS);
      expectError(await secondStep(user, old, codeAt(user.secret)), 401, 'invalid_mfa_code');
    });
  });

  describe('recovery codes', () => {
    it('completes a login with a recovery code once, and never again', async () => {
      const user = await mfaUser();
      const [code] = user.recoveryCodes;

      const first = await secondStep(user, await passwordStep(user), code!);
      expect(first.status, first.text).toBe(200);
      await expectWorkingAccessToken(user.api, first.json.accessToken, user.userId);

      expectError(await secondStep(user, await passwordStep(user), code!), 401, 'invalid_mfa_code');
      expectError(await secondStep(user, await passwordStep(user), code!.toUpperCase()), 401, 'invalid_mfa_code');
    });

    it('lets only one of two concurrent logins use the same recovery code', async () => {
      const user = await mfaUser();
      const [first, second] = [await passwordStep(user), await passwordStep(user)];
      const code = user.recoveryCodes[0]!;

      const results = await Promise.all([secondStep(user, first, code), secondStep(user, second, code)]);

      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('accepts a recovery code in upper case, without dashes, or spaced', async () => {
      const user = await mfaUser();
      const [a, b, c] = user.recoveryCodes as [string, string, string];

      for (const typed of [a.toUpperCase(), b.replace(/-/g, ''), ` ${c.replace(/-/g, ' ')} `]) {
        const res = await secondStep(user, await passwordStep(user), typed);
        expect(res.status, `${res.text} for ${JSON.stringify(typed)}`).toBe(200);
      }
    });
  });

  describe('turning two-factor off', () => {
    it('needs a valid code, then lets the password alone log in, and refuses to turn off what is off', async () => {
      const user = await mfaUser();
      const { api: c } = user;

      const wrong = await c.request('DELETE', '/v1/auth/mfa/totp', { body: { code: wrongCode(user.secret) }, headers: bearer(user.accessToken) });
      expectError(wrong, 401, 'invalid_mfa_code');
      expect((await c.request('GET', '/v1/me', { headers: bearer(user.accessToken) })).json.mfaEnabled).toBe(true);

      const off = await c.request('DELETE', '/v1/auth/mfa/totp', { body: { code: codeAt(user.secret) }, headers: bearer(user.accessToken) });
      expect(off.status, off.text).toBe(204);
      expect(off.text).toBe('');

      const login = await c.request('POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(login.status, login.text).toBe(200);
      expect(login.json).not.toHaveProperty('mfaRequired');
      await expectWorkingAccessToken(c, login.json.accessToken, user.userId);
      expect((await c.request('GET', '/v1/me', { headers: bearer(login.json.accessToken) })).json.mfaEnabled).toBe(false);

      expectError(await c.request('DELETE', '/v1/auth/mfa/totp', { body: { code: codeAt(user.secret, 1) }, headers: bearer(user.accessToken) }), 409, 'conflict');
    });

    it('turns two-factor off with a recovery code', async () => {
      const user = await mfaUser();

      const off = await user.api.request('DELETE', '/v1/auth/mfa/totp', { body: { code: user.recoveryCodes[0] }, headers: bearer(user.accessToken) });

      expect(off.status, off.text).toBe(204);
      expect((await user.api.request('GET', '/v1/me', { headers: bearer(user.accessToken) })).json.mfaEnabled).toBe(false);
    });

    it('gives a new enrolment a new secret and new recovery codes: nothing of the old factor works', async () => {
      const user = await mfaUser();
      const { api: c } = user;
      expect((await c.request('DELETE', '/v1/auth/mfa/totp', { body: { code: codeAt(user.secret) }, headers: bearer(user.accessToken) })).status).toBe(204);

      const secret = await enrol(c, user);
      expect(secret).not.toBe(user.secret);
      const activated = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: codeAt(secret, -1) }, headers: bearer(user.accessToken) });
      expect(activated.status, activated.text).toBe(200);

      expectError(await secondStep(user, await passwordStep(user), user.recoveryCodes[1]!), 401, 'invalid_mfa_code');
      expectError(await secondStep(user, await passwordStep(user), codeAt(user.secret)), 401, 'invalid_mfa_code');
      expect((await secondStep(user, await passwordStep(user), codeAt(secret))).status).toBe(200);
    });

    it('ends the MFA challenges issued before it was turned off', async () => {
      const user = await mfaUser();
      const pending = await passwordStep(user);
      const off = await user.api.request('DELETE', '/v1/auth/mfa/totp', { body: { code: codeAt(user.secret) }, headers: bearer(user.accessToken) });
      expect(off.status, off.text).toBe(204);

      expectError(await secondStep(user, pending, codeAt(user.secret, 1)), 401, 'invalid_mfa_code');
    });
  });

  describe('audit', () => {
    it('records the journey in a chain that verifies, and no secret, code, token or password in it', async () => {
      const user = await mfaUser();
      const { api: c } = user;
      const tokens: string[] = [user.accessToken, user.refreshToken];
      const usedCodes: string[] = [codeAt(user.secret, -1)];

      const failed = await passwordStep(user);
      const wrong = wrongCode(user.secret);
      expectError(await secondStep(user, failed, wrong), 401, 'invalid_mfa_code');
      usedCodes.push(wrong);

      const byTotp = await passwordStep(user);
      usedCodes.push(codeAt(user.secret));
      const totpLogin = await secondStep(user, byTotp, usedCodes.at(-1)!);
      expect(totpLogin.status, totpLogin.text).toBe(200);

      const byRecovery = await passwordStep(user);
      const recoveryLogin = await secondStep(user, byRecovery, user.recoveryCodes[0]!);
      expect(recoveryLogin.status, recoveryLogin.text).toBe(200);

      usedCodes.push(codeAt(user.secret, 1));
      const off = await c.request('DELETE', '/v1/auth/mfa/totp', { body: { code: usedCodes.at(-1) }, headers: bearer(user.accessToken) });
      expect(off.status, off.text).toBe(204);
      tokens.push(failed, byTotp, byRecovery, totpLogin.json.accessToken, totpLogin.json.refreshToken, recoveryLogin.json.accessToken, recoveryLogin.json.refreshToken);

      const scope = `user:${user.userId}`;
      const chain = await verifyAuditChain(api.platform.table, scope);
      expect(chain).toMatchObject({ ok: true });

      const records = (await queryPartition(Keys.auditPartition(scope))) as { action: string; outcome: string; metadata: Record<string, unknown> }[];
      expect(chain.checked).toBe(records.length);
      const actions = records.map((r) => r.action);
      expect(actions).toEqual(expect.arrayContaining(['user.mfa_enabled', 'user.login_failed', 'user.login_succeeded', 'user.recovery_code_used', 'user.mfa_disabled']));
      expect(records.filter((r) => r.action === 'user.login_succeeded' && r.metadata.mfa === true)).toHaveLength(2);
      expect(records.filter((r) => r.action === 'user.login_failed')).toEqual([expect.objectContaining({ outcome: 'failure', metadata: { reason: 'mfa_failed' } })]);
      expect(records.find((r) => r.action === 'user.recovery_code_used')!.metadata).toEqual({ remaining: 9 });
      // The order the journey happened in.
      expect(actions.indexOf('user.mfa_enabled')).toBeLessThan(actions.indexOf('user.login_failed'));
      expect(actions.indexOf('user.recovery_code_used')).toBeLessThan(actions.lastIndexOf('user.login_succeeded'));
      expect(actions.at(-1)).toBe('user.mfa_disabled');

      const text = asText(records);
      for (const spelling of secretSpellings(user.secret)) expect(text).not.toContain(spelling);
      for (const code of usedCodes) expect(containsCode(text, code), `code ${code} in the audit trail`).toBe(false);
      for (const code of user.recoveryCodes) for (const spelling of recoverySpellings(code)) expect(text.toLowerCase()).not.toContain(spelling);
      for (const token of tokens) expect(text).not.toContain(token);
      expect(text).not.toContain(user.password);
    });
  });

  describe('re-authentication', () => {
    it('starts enrolment only with the password: a bare access token is refused, and nothing is enrolled', async () => {
      const c = client();
      const user = await signUpVerifiedUser(c, c.outbox);
      const bare = await c.request('POST', '/v1/auth/mfa/totp', { headers: bearer(user.accessToken) });
      expectError(bare, 400, 'validation_failed');
      expect(bare.json.error.issues).toEqual([expect.objectContaining({ path: expect.stringMatching(/^body/) })]);
      const wrong = await c.request('POST', '/v1/auth/mfa/totp', { body: { password: 'not the password at all' }, headers: bearer(user.accessToken) });
      expectError(wrong, 401, 'invalid_credentials');
      expect(wrong.json).not.toHaveProperty('secret');
      // No enrolment was started: there is nothing to activate.
      expectError(await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: '123456' }, headers: bearer(user.accessToken) }), 409, 'conflict');
    });
  });

  describe('second-factor lockout', () => {
    const disable = (user: MfaUser, code: string) => user.api.request('DELETE', '/v1/auth/mfa/totp', { body: { code }, headers: bearer(user.accessToken) });

    it('locks the second step of the account after five wrong codes, on every route, says for how long, and mails and records it', async () => {
      const user = await mfaUser();
      // Counted per account, whatever the route: three wrong codes turning it off, two at login.
      for (let i = 0; i < 3; i++) expectError(await disable(user, wrongCode(user.secret)), 401, 'invalid_mfa_code');
      for (let i = 0; i < 2; i++) expectError(await secondStep(user, await passwordStep(user), wrongCode(user.secret)), 401, 'invalid_mfa_code');

      // Even the right code waits, at login too (the count is per account, not per route or address).
      const locked = await disable(user, codeAt(user.secret));
      expectError(locked, 429, 'rate_limited');
      expect(locked.json.error.message).toMatch(/^Too many wrong codes: two-factor checks for this account are paused; retry in \d+ seconds?\.$/);
      const retryAfter = Number(locked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(50);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expectError(await secondStep(user, await passwordStep(user), codeAt(user.secret)), 429, 'rate_limited');

      const notice = (await user.api.platform.events.drain(), await mailTo(user.api.outbox, user.email)).filter((m) => /paused/.test(m.subject));
      expect(notice).toHaveLength(1);
      expect(notice[0]!.text).toContain('1 minute');
      const records = (await queryPartition(Keys.auditPartition(`user:${user.userId}`))) as { action: string; outcome: string; metadata: unknown }[];
      expect(records.filter((r) => r.action === 'user.mfa_locked')).toEqual([expect.objectContaining({ outcome: 'denied', metadata: { failures: 5, lockedForSeconds: 60 } })]);

      // Once it is over, one more try; a wrong one locks for twice as long.
      advance(retryAfter * 1000);
      expectError(await disable(user, wrongCode(user.secret)), 401, 'invalid_mfa_code');
      const longer = await disable(user, codeAt(user.secret));
      expectError(longer, 429, 'rate_limited');
      expect(Number(longer.headers.get('retry-after'))).toBeGreaterThan(110);

      // A right code after the wait clears the count: four wrong ones do not lock again.
      advance(Number(longer.headers.get('retry-after')) * 1000);
      const login = await secondStep(user, await passwordStep(user), codeAt(user.secret));
      expect(login.status, login.text).toBe(200);
      for (let i = 0; i < 4; i++) expectError(await disable(user, wrongCode(user.secret)), 401, 'invalid_mfa_code');
      expect((await disable(user, codeAt(user.secret, 1))).status).toBe(204);
    });

    it('checks at most five codes of parallel guesses from several addresses before it locks', async () => {
      const user = await mfaUser();
      // Twenty MFA challenges, from four addresses (five password steps a minute each).
      const challenges: string[] = [];
      for (let a = 0; a < 4; a++) {
        const from = { ...user, api: client() };
        for (let i = 0; i < 5; i++) challenges.push(await passwordStep(from));
      }
      const wrong = wrongCode(user.secret);
      const answers = await Promise.all(challenges.map((token) => secondStep(user, token, wrong)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    });
  });

  describe('rate limiting', () => {
    it('gives each two-factor operation its own budget: enrolling twice and mistyping a code still lets the user activate', async () => {
      const c = client();
      const user = await signUpVerifiedUser(c, c.outbox);
      await enrol(c, user);
      const secret = await enrol(c, user);
      expectError(await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: wrongCode(secret) }, headers: bearer(user.accessToken) }), 401, 'invalid_mfa_code');
      const activated = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: codeAt(secret) }, headers: bearer(user.accessToken) });
      expect(activated.status, activated.text).toBe(200);
    });

    it(`refuses the ${REAUTH.limit + 1}th enrolment start by one user within the window with 429 saying when, before the route runs`, async () => {
      const c = client();
      const user = await signUpVerifiedUser(c, c.outbox);
      let secret = '';
      for (let i = 0; i < REAUTH.limit; i++) secret = await enrol(c, user);

      const refused = await c.request('POST', '/v1/auth/mfa/totp', { body: { password: user.password }, headers: bearer(user.accessToken) });

      expectError(refused, 429, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(REAUTH.periodSeconds);
      expect(refused.json.error.message).toBe(`Too many requests; retry in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`);
      expect(refused.json).not.toHaveProperty('secret');

      // Counted per user and per operation: activation has a budget of its own, and another user
      // from the same address is not held back.
      const other = await signUpVerifiedUser(c, c.outbox);
      await enrol(c, other);
      const activated = await c.request('POST', '/v1/auth/mfa/totp/activate', { body: { code: codeAt(secret) }, headers: bearer(user.accessToken) });
      expect(activated.status, activated.text).toBe(200);
    });
  });
});

describe('codes as authenticator apps show them', () => {
  it('accepts a TOTP code with a space in the middle, at login and when turning two-factor off', async () => {
    const user = await mfaUser();
    const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;
    const login = await secondStep(user, await passwordStep(user), spaced(codeAt(user.secret)));
    expect(login.status, login.text).toBe(200);
    advance(STEP_MS);
    const off = await user.api.request('DELETE', '/v1/auth/mfa/totp', { body: { code: spaced(codeAt(user.secret)) }, headers: bearer(login.json.accessToken) });
    expect(off.status, off.text).toBe(204);
  });
});
