import { describe, expect, it } from 'vitest';
import { base32Decode, timeStep, totp } from '../../functions/identity/totp';
import { bearer, GOOD_PASSWORD, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';

/**
 * The whole identity journey with every log level on: no password, token, TOTP secret, recovery
 * code or email address may reach a log line or an event, whatever the code paths log.
 */
describe('identity: nothing secret leaves through logs or events', () => {
  // Every log line of this file is kept, at every level, to look for secrets in it.
  const { api, logLines } = useTestApi({ captureLogs: true });

  it('keeps every secret of a full journey out of logs and events', async () => {
    const email = `${uniqueId('leak')}@example.com`;
    const secrets: string[] = [email, GOOD_PASSWORD];
    const post = (path: string, body: unknown, token?: string) => api.request('POST', path, { body, ...(token ? { headers: bearer(token) } : {}) });

    expect((await post('/v1/auth/signup', { email, password: GOOD_PASSWORD, name: 'Leak Test' })).status).toBe(202);
    const verification = await tokenFromMail(api.outbox, email, /Verify/);
    secrets.push(verification);
    expect((await post('/v1/auth/verify-email', { token: verification, password: GOOD_PASSWORD })).status).toBe(200);
    await post('/v1/auth/login', { email, password: 'a wrong password here' });
    const login = await post('/v1/auth/login', { email, password: GOOD_PASSWORD });
    secrets.push(login.json.accessToken, login.json.refreshToken);

    const rotated = await post('/v1/auth/refresh', { refreshToken: login.json.refreshToken });
    await post('/v1/auth/refresh', { refreshToken: login.json.refreshToken }); // reuse: revokes the session
    secrets.push(rotated.json.refreshToken);

    const again = await post('/v1/auth/login', { email, password: GOOD_PASSWORD });
    secrets.push(again.json.accessToken, again.json.refreshToken);
    const enrolment = await post('/v1/auth/mfa/totp', { password: GOOD_PASSWORD }, again.json.accessToken);
    const secret = enrolment.json.secret as string;
    secrets.push(secret);
    const code = totp(base32Decode(secret), (timeStep(Date.now()) - 1) * 30_000);
    const activation = await post('/v1/auth/mfa/totp/activate', { code }, again.json.accessToken);
    expect(activation.status, activation.text).toBe(200);
    secrets.push(...(activation.json.recoveryCodes as string[]));
    const challenge = await post('/v1/auth/login', { email, password: GOOD_PASSWORD });
    secrets.push(challenge.json.mfaToken);
    const mfaLogin = await post('/v1/auth/login/mfa', { mfaToken: challenge.json.mfaToken, code: activation.json.recoveryCodes[0] });
    expect(mfaLogin.status, mfaLogin.text).toBe(200);
    secrets.push(mfaLogin.json.accessToken, mfaLogin.json.refreshToken);

    const newPassword = 'leak test new passphrase 3';
    secrets.push(newPassword);
    await post('/v1/me/password', { currentPassword: GOOD_PASSWORD, newPassword }, mfaLogin.json.accessToken);
    await post('/v1/auth/password/forgot', { email });
    const reset = await tokenFromMail(api.outbox, email, /Reset/);
    const resetPassword = 'leak test reset passphrase 4';
    secrets.push(reset, resetPassword);
    expect((await post('/v1/auth/password/reset', { token: reset, password: resetPassword })).status).toBe(200);
    await api.platform.events.drain();

    // The journey did produce logs and events to look at.
    const logs = logLines().join('');
    // The lines most likely to leak were written: each request as received, and its completion.
    expect(logs).toContain('"message":"Request received"');
    expect(logs).toContain('"message":"Request completed"');
    const events = JSON.stringify(api.platform.events.published);
    expect(api.platform.events.published.length).toBeGreaterThan(5);
    for (const value of secrets) {
      expect(logs, 'a log line').not.toContain(value);
      expect(events, 'an event').not.toContain(value);
    }
  });
});
