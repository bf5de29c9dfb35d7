import { describe, expect, it } from 'vitest';
import { AuditRecords } from '../../functions/kernel/audit/record';
import { bearer, GOOD_PASSWORD, logIn, settledMailTo, signUpVerifiedUser, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';

/**
 * Who ends up holding an account, and which mailed tokens still speak for it: an account squatted
 * before its owner signs up goes to whoever proves the mailbox; a password change or reset ends
 * every token mailed before it; one password policy for signup, change and reset.
 */
describe('identity: credentials and the tokens bound to them', () => {
  const { api } = useTestApi();

  const signup = (email: string, password: string, name = 'Someone') => api.request('POST', '/v1/auth/signup', { body: { email, password, name } });
  const verify = (token: string, password: string) => api.request('POST', '/v1/auth/verify-email', { body: { token, password } });
  const login = (email: string, password: string) => api.request('POST', '/v1/auth/login', { body: { email, password } });
  /** Every verification token mailed to `email` so far, oldest first. */
  const verificationTokens = async (email: string) =>
    (await settledMailTo(api, email)).filter((m) => /Verify/.test(m.subject)).map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)![1]!);
  const auditActions = async (userId: string) => (await api.platform.table.queryAll(AuditRecords.query.ofChain(`user:${userId}`))).map((r) => r.action);

  describe('an address signed up by someone else first (squatting)', () => {
    const SQUATTER = 'the squatter passphrase 31';
    const OWNER = 'the owner passphrase 47';

    it('goes to whoever proves the mailbox: the owner’s signup replaces the pending one, and only its link, with its password, verifies', async () => {
      const email = `${uniqueId('victim')}@example.com`;
      expect((await signup(email, SQUATTER, 'Squatter')).status).toBe(202);
      const [squattersLink] = await verificationTokens(email);
      // The owner signs up later and gets the same answer.
      expect((await signup(email, OWNER, 'Owner')).status).toBe(202);
      const tokens = await verificationTokens(email);
      expect(tokens).toHaveLength(2);
      const ownersLink = tokens[1]!;

      // The link mailed for the earlier signup died with its credentials, with either password.
      for (const password of [SQUATTER, OWNER]) expect((await verify(squattersLink!, password)).json.error.code).toBe('invalid_token');
      // The owner's link with the squatter's password is refused, and stays usable.
      const wrong = await verify(ownersLink, SQUATTER);
      expect(wrong.status).toBe(400);
      expect(wrong.json.error.issues).toEqual([expect.objectContaining({ path: 'body.password' })]);
      expect((await verify(ownersLink, OWNER)).status).toBe(200);

      expect((await login(email, SQUATTER)).status).toBe(401);
      const { accessToken, userId } = await logIn(api, email, OWNER);
      expect((await api.request('GET', '/v1/me', { headers: bearer(accessToken) })).json).toMatchObject({ name: 'Owner', emailVerified: true });
      await api.platform.events.drain();
      expect(await auditActions(userId)).toEqual(['user.signed_up', 'user.signup_repeated', 'user.email_verified', 'user.login_failed', 'user.login_succeeded']);
    });

    it('cannot be taken back by signing up again after the owner: the newest link needs the newest password', async () => {
      const email = `${uniqueId('victim')}@example.com`;
      await signup(email, SQUATTER);
      await signup(email, OWNER);
      await signup(email, SQUATTER); // the squatter tries again before the owner clicks
      const tokens = await verificationTokens(email);
      expect(tokens).toHaveLength(3);
      // The owner's link died; the newest one (which only the mailbox holder has) needs the squatter's
      // password, which the owner does not know: no one is verified, and the owner can sign up again.
      expect((await verify(tokens[1]!, OWNER)).json.error.code).toBe('invalid_token');
      expect((await verify(tokens[2]!, OWNER)).status).toBe(400);
      expect((await login(email, SQUATTER)).json.error.code).toBe('email_not_verified');
    });

    it('leaves a verified account as it is: its password stays, and its owner is told', async () => {
      const owner = await signUpVerifiedUser(api, api.outbox);
      expect((await signup(owner.email, SQUATTER)).status).toBe(202);
      expect((await settledMailTo(api, owner.email)).at(-1)!.subject).toMatch(/tried to sign up/);
      expect((await login(owner.email, SQUATTER)).status).toBe(401);
      await logIn(api, owner.email, GOOD_PASSWORD);
      await api.platform.events.drain();
      expect(await auditActions(owner.userId)).toContain('user.signup_repeated');
    });
  });

  describe('reset tokens', () => {
    const forgot = (email: string) => api.request('POST', '/v1/auth/password/forgot', { body: { email } });
    const reset = (token: string, password: string) => api.request('POST', '/v1/auth/password/reset', { body: { token, password } });
    const resetTokens = async (email: string) =>
      (await settledMailTo(api, email)).filter((m) => /Reset/.test(m.subject)).map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)![1]!);

    it('end when a reset succeeds: every other outstanding reset token is refused', async () => {
      const user = await signUpVerifiedUser(api, api.outbox);
      expect((await forgot(user.email)).status).toBe(202);
      expect((await forgot(user.email)).status).toBe(202);
      const [first, second] = await resetTokens(user.email);
      expect((await reset(second!, 'the new passphrase 52')).status).toBe(200);
      const stale = await reset(first!, 'the attacker passphrase 53');
      expect(stale.status).toBe(400);
      expect(stale.json.error.code).toBe('invalid_token');
      await logIn(api, user.email, 'the new passphrase 52');
    });

    it('end when the password is changed', async () => {
      const user = await signUpVerifiedUser(api, api.outbox);
      await forgot(user.email);
      const [token] = await resetTokens(user.email);
      const change = await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: GOOD_PASSWORD, newPassword: 'changed passphrase 54' } });
      expect(change.status, change.text).toBe(200);
      expect((await reset(token!, 'the attacker passphrase 55')).json.error.code).toBe('invalid_token');
      await logIn(api, user.email, 'changed passphrase 54');
    });

    it('follow the same password policy as signup and change, address rule included, and a refusal leaves the token usable', async () => {
      const local = uniqueId('policy');
      const user = await signUpVerifiedUser(api, api.outbox, { email: `${local}@example.com` });
      await forgot(user.email);
      const token = await tokenFromMail(api.outbox, user.email, /Reset/);
      const containsAddress = await reset(token, `my ${local} passphrase`);
      expect(containsAddress.status).toBe(400);
      expect(containsAddress.json.error.issues).toEqual([{ path: 'body.password', message: 'The password must not contain your email address.' }]);
      // The same rule, worded the same, at signup and change.
      expect((await signup(`${uniqueId('other')}@example.com`, `my ${local} passphrase`)).status).toBe(202); // not this address's local part
      const own = `${uniqueId('own')}`;
      const ownSignup = await signup(`${own}@example.com`, `my ${own} passphrase`);
      expect(ownSignup.json.error.issues).toEqual([{ path: 'body.password', message: 'The password must not contain your email address.' }]);
      const atChange = await api.request('POST', '/v1/me/password', { headers: bearer(user.accessToken), body: { currentPassword: GOOD_PASSWORD, newPassword: `my ${local} passphrase` } });
      expect(atChange.json.error.issues).toEqual([{ path: 'body.newPassword', message: 'The password must not contain your email address.' }]);

      expect((await reset(token, 'an acceptable passphrase 56')).status).toBe(200);
    });
  });

  it('reports every problem of a signup at once: a missing name and the password rules together', async () => {
    const res = await api.request('POST', '/v1/auth/signup', { body: { email: `${uniqueId('all')}@example.com`, password: 'password' } });
    expect(res.status).toBe(400);
    const paths = (res.json.error.issues as { path: string }[]).map((i) => i.path).sort();
    expect(paths).toEqual(['body.name', 'body.password', 'body.password']);
  });
});
