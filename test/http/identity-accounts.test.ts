import { describe, expect, inject, it } from 'vitest';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { secretHash } from '../../functions/identity/one-time-tokens';
import { bearer, GOOD_PASSWORD, logIn, mailTo, settledMailTo, signUpVerifiedUser, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi, type TestApi } from '../support/platform';

describe('identity: accounts', () => {
  const { api } = useTestApi();

  const signup = (email: string, password = GOOD_PASSWORD, name = 'Someone') => api.request('POST', '/v1/auth/signup', { body: { email, password, name } });
  const verify = (token: string, password = GOOD_PASSWORD) => api.request('POST', '/v1/auth/verify-email', { body: { token, password } });
  const rawItem = async (key: { pk: string; sk: string }) => (await api.platform.table.doc.send(new (await import('@aws-sdk/lib-dynamodb')).GetCommand({ TableName: inject('tableName'), Key: key }))).Item;

  it('signs up, mails a verification link, refuses login until verified, then logs in', async () => {
    const email = `${uniqueId('a')}@example.com`;
    const res = await signup(email);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'accepted' });
    const token = await tokenFromMail(api.outbox, email, /Verify/);

    const early = await api.request('POST', '/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    expect(early.status).toBe(403);
    expect(early.json.error.code).toBe('email_not_verified');

    expect((await verify(token)).status).toBe(200);
    const { accessToken } = await logIn(api, email, GOOD_PASSWORD);
    const me = await api.request('GET', '/v1/me', { headers: bearer(accessToken) });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email, name: 'Someone', emailVerified: true, mfaEnabled: false });
    expect(me.json).not.toHaveProperty('passwordHash');
  });

  it('answers a signup for a taken address exactly like a new one, and mails the owner instead', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const again = await signup(user.email.toUpperCase().replace('@EXAMPLE.COM', '@example.com'), 'another fine passphrase 9');
    const fresh = await signup(`${uniqueId('n')}@example.com`);
    expect(again.status).toBe(fresh.status);
    expect(again.json).toEqual(fresh.json);
    const mails = await settledMailTo(api, user.email);
    expect(mails.at(-1)!.subject).toMatch(/tried to sign up/);
    // The account kept its password.
    await logIn(api, user.email, GOOD_PASSWORD);
  });

  it('normalises addresses: trimmed, domain lower-cased, unique whatever the case', async () => {
    const local = uniqueId('Mixed');
    const res = await signup(`  ${local}@EXAMPLE.Com `);
    expect(res.status).toBe(202);
    const token = await tokenFromMail(api.outbox, `${local}@example.com`, /Verify/);
    expect((await verify(token)).status).toBe(200);
    const { accessToken } = await logIn(api, `${local.toLowerCase()}@example.com`, GOOD_PASSWORD);
    const me = await api.request('GET', '/v1/me', { headers: bearer(accessToken) });
    expect(me.json.email).toBe(`${local}@example.com`);
    for (const bad of ['not-an-email', 'a@', '@b.com', `${'x'.repeat(250)}@example.com`]) {
      const r = await signup(bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.error.issues[0].path).toBe('body.email');
    }
  });

  it('refuses short, over-long and common passwords with per-field issues', async () => {
    for (const password of ['short', 'x'.repeat(257), '1qaz2wsx3edc', 'Q1W2E3R4T5Y6']) {
      const res = await signup(`${uniqueId('p')}@example.com`, password);
      expect(res.status, password).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(res.json.error.issues.every((i: { path: string }) => i.path === 'body.password')).toBe(true);
    }
  });

  it('stores the password only as argon2id (m=19456, t=2, p=1) and the email lookup by hash', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const item = await rawItem({ pk: `USER#${user.userId}`, sk: 'PROFILE' });
    expect(item!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(JSON.stringify(item)).not.toContain(GOOD_PASSWORD);
    const lookup = await rawItem({ pk: `EMAIL#${await api.platform.emailIndex.lookupHash(user.email)}`, sk: 'USER' });
    expect(lookup).toMatchObject({ userId: user.userId });
  });

  it('accepts a verification token once, stores only its hash, and refuses unknown tokens', async () => {
    const email = `${uniqueId('v')}@example.com`;
    await signup(email);
    const token = await tokenFromMail(api.outbox, email, /Verify/);
    const stored = await rawItem({ pk: `OTT#verify-email#${secretHash(token)}`, sk: 'TOKEN' });
    expect(stored).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored!.expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(24 * 3600 - 60);
    expect((await verify(token)).status).toBe(200);
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe('invalid_token');
    const forged = await verify('A'.repeat(43));
    expect(forged.json.error.code).toBe('invalid_token');
  });

  it('refuses an expired verification token', async () => {
    const email = `${uniqueId('x')}@example.com`;
    await signup(email);
    const token = await tokenFromMail(api.outbox, email, /Verify/);
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await api.platform.table.doc.send(
      new UpdateCommand({ TableName: inject('tableName'), Key: { pk: `OTT#verify-email#${secretHash(token)}`, sk: 'TOKEN' }, UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
    const res = await verify(token);
    expect(res.json.error.code).toBe('invalid_token');
  });

  it('gives an unknown address and a wrong password the same 401 invalid_credentials', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const wrong = await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: 'not the password at all' } });
    const unknown = await api.request('POST', '/v1/auth/login', { body: { email: `${uniqueId('ghost')}@example.com`, password: 'not the password at all' } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('invalid_credentials');
    }
    expect(wrong.json.error.message).toBe(unknown.json.error.message);
  });

  it('resends verification only to unverified accounts, with the same answer for any address', async () => {
    const email = `${uniqueId('r')}@example.com`;
    await signup(email);
    const before = (await settledMailTo(api, email)).length;
    const known = await api.request('POST', '/v1/auth/verify-email/resend', { body: { email } });
    const unknown = await api.request('POST', '/v1/auth/verify-email/resend', { body: { email: `${uniqueId('u')}@example.com` } });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.json).toEqual(unknown.json);
    expect((await settledMailTo(api, email)).length).toBe(before + 1);
    // A verified account gets no link.
    const verified = await signUpVerifiedUser(api, api.outbox);
    const count = (await settledMailTo(api, verified.email)).length;
    expect((await api.request('POST', '/v1/auth/verify-email/resend', { body: { email: verified.email } })).status).toBe(202);
    expect((await settledMailTo(api, verified.email)).length).toBe(count);
  });

  it('changes my name and password; a wrong current password is refused; other sessions end', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const other = await logIn(api, user.email, GOOD_PASSWORD);
    const renamed = await api.request('PATCH', '/v1/me', { headers: bearer(user.accessToken), body: { name: 'New Name' } });
    expect(renamed.json.name).toBe('New Name');

    const wrong = await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: 'nope nope nope', newPassword: 'a brand new passphrase 7' } });
    expect(wrong.status).toBe(401);
    const weak = await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: GOOD_PASSWORD, newPassword: 'short' } });
    expect(weak.status).toBe(400);
    const ok = await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: GOOD_PASSWORD, newPassword: 'a brand new passphrase 7' } });
    expect(ok.status).toBe(200);

    // This session goes on; the other one is revoked (its refresh token no longer works).
    expect((await api.request('GET', '/v1/me', { headers: bearer(user.accessToken) })).status).toBe(200);
    const refreshOther = await api.request('POST', '/v1/auth/refresh', { body: { refreshToken: other.refreshToken } });
    expect(refreshOther.status).toBe(400);
    expect((await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD } })).status).toBe(401);
    await logIn(api, user.email, 'a brand new passphrase 7');
    expect((await mailTo(api.outbox, user.email)).at(-1)!.subject).toMatch(/password was changed/);
  });

  it('resets a forgotten password through the mailed token, once, and ends every session', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const unknown = await api.request('POST', '/v1/auth/password/forgot', { body: { email: `${uniqueId('nobody')}@example.com` } });
    const known = await api.request('POST', '/v1/auth/password/forgot', { body: { email: user.email } });
    expect(known.status).toBe(202);
    expect(known.json).toEqual(unknown.json);
    const token = await tokenFromMail(api.outbox, user.email, /Reset/);
    const stored = await rawItem({ pk: `OTT#password-reset#${secretHash(token)}`, sk: 'TOKEN' });
    expect(stored!.expiresAt - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(30 * 60);

    const weak = await api.request('POST', '/v1/auth/password/reset', { body: { token, password: 'password1234' } });
    expect(weak.status).toBe(400);
    const reset = await api.request('POST', '/v1/auth/password/reset', { body: { token, password: 'reset passphrase number 5' } });
    expect(reset.status).toBe(200);
    const twice = await api.request('POST', '/v1/auth/password/reset', { body: { token, password: 'another passphrase number 6' } });
    expect(twice.json.error.code).toBe('invalid_token');

    expect((await api.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(400);
    await logIn(api, user.email, 'reset passphrase number 5');
  });

  it('records every security event in the user audit chain, which verifies, with no secret in it', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: 'wrong wrong wrong' } });
    // The failure is recorded by the identity consumer, off the response path.
    await api.platform.events.drain();
    await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: GOOD_PASSWORD, newPassword: 'audited passphrase 11' } });
    const verification = await verifyAuditChain(api.platform.table, `user:${user.userId}`);
    expect(verification.ok).toBe(true);
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const records = (await api.platform.table.doc.send(new QueryCommand({ TableName: inject('tableName'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `AUDIT#user:${user.userId}` } }))).Items!;
    expect(records.map((r) => r.action)).toEqual(['user.signed_up', 'user.email_verified', 'user.login_succeeded', 'user.login_failed', 'user.password_changed']);
    const all = JSON.stringify(records);
    for (const secret of [GOOD_PASSWORD, 'audited passphrase 11', user.accessToken, user.refreshToken, user.email]) expect(all).not.toContain(secret);
  });
});

describe('identity: abuse limits', () => {
  const { api } = useTestApi();

  it('answers the sixth login attempt in a minute on one account from one address with 429 and Retry-After', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const sourceIp = '127.77.1.2';
    const attempt = () => api.request('POST', '/v1/auth/login', { body: { email: user.email, password: 'guess guess guess' }, sourceIp });
    for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-limit')).toBe('5');
    // Even the right password waits: the bucket guards the account, not the guess.
    const right = await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD }, sourceIp });
    expect(right.status).toBe(429);
    // Another address is not affected.
    await logIn(api, user.email, GOOD_PASSWORD);
  });

  it('limits mail to one address to three per 15 minutes, whatever addresses ask, and says when to retry', async () => {
    const email = `${uniqueId('flood')}@example.com`;
    expect((await signup(api, email)).status).toBe(202); // the verification mail is the first
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await api.request('POST', '/v1/auth/password/forgot', { body: { email } }));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 429]);
    expect(answers[2]!.json.error.message).toMatch(/^Too many mails to this address; retry in \d+ seconds?\.$/);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Signups and resends count against the same budget.
    expect((await api.request('POST', '/v1/auth/verify-email/resend', { body: { email } })).status).toBe(429);
    expect((await signup(api, email)).status).toBe(429);
    await api.platform.events.drain();
    expect((await mailTo(api.outbox, email)).length).toBe(3);
  });

  it('sends at most three mails to a registered address for eight parallel signups (the rest are 429)', async () => {
    const owner = await signUpVerifiedUser(api, api.outbox);
    await api.platform.events.drain();
    const before = (await mailTo(api.outbox, owner.email)).length;
    const answers = await Promise.all(Array.from({ length: 8 }, () => signup(api, owner.email)));
    const statuses = answers.map((a) => a.status).sort();
    // The owner's own signup spent one mail of the budget already.
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(2);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
    const after = await settledMailTo(api, owner.email);
    expect(after.length - before).toBeLessThanOrEqual(2);
    expect(after.length).toBeLessThanOrEqual(3);
  });
});

const signup = (api: TestApi, email: string) => api.request('POST', '/v1/auth/signup', { body: { email, password: GOOD_PASSWORD, name: 'Flood' } });
