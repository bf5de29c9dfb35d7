import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { openUserPii } from '../../functions/identity/account';
import { base32Decode, totp } from '../../functions/identity/totp';
import { createUserKey, UserDataUnavailableError, userKeyRing } from '../../functions/identity/user-keys';
import { UserRecord } from '../../functions/kernel/accounts/user-record';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { SealedValueError } from '../../functions/kernel/keys/aead';
import { Keys } from '../../functions/kernel/storage/keys';
import { actingAs, GOOD_PASSWORD, logIn, mailTo, signUpVerifiedUser, tokenFromMail, type TestUser } from '../support/identity';
import { uniqueId, useTestApi, type TestResponse } from '../support/platform';
import { putRawItems, rawItem, rawPartition, type RawItem } from '../support/raw-items';
import { addMember, ownerWithOrg } from '../support/tenancy';

/**
 * `DELETE /v1/me`: account deletion by crypto-shredding. The user's data key is deleted with the
 * account, so every copy of what it sealed (address, name, TOTP secret, session details) is
 * unreadable for good; memberships end with their audit records; audit chains stay whole.
 */
describe('account deletion', () => {
  // Every log line of this file is kept, at every level, to look for the person's data in it.
  const { api, logLines } = useTestApi({ captureLogs: true });
  const deleteMe = (token: string, body: unknown) => actingAs(api, token).delete('/v1/me', body);

  /** A verified account with a distinctive address and name, logged in. */
  async function person(): Promise<TestUser & { name: string; local: string }> {
    const local = uniqueId('Shred.Me');
    const email = `${local}@example.com`;
    const name = `Philippa ${uniqueId('Shredworth')}`;
    expect((await api.request('POST', '/v1/auth/signup', { body: { email, password: GOOD_PASSWORD, name } })).status).toBe(202);
    const token = await tokenFromMail(api.outbox, email, /Verify/);
    expect((await api.request('POST', '/v1/auth/verify-email', { body: { token, password: GOOD_PASSWORD } })).status).toBe(200);
    return { email, password: GOOD_PASSWORD, name, local, ...(await logIn(api, email, GOOD_PASSWORD)) };
  }

  /** Turns two-factor on; returns the secret. */
  async function enableTotp(user: TestUser): Promise<string> {
    const enrolment = await actingAs(api, user).post('/v1/auth/mfa/totp', { password: user.password });
    expect(enrolment.status, enrolment.text).toBe(201);
    const secret = enrolment.json.secret as string;
    const activation = await actingAs(api, user).post('/v1/auth/mfa/totp/activate', { code: totp(base32Decode(secret), Date.now() - 30_000) });
    expect(activation.status, activation.text).toBe(200);
    return secret;
  }

  describe('crypto-shredding an account', () => {
    let user: Awaited<ReturnType<typeof person>>;
    let secret: string;
    let copies: RawItem[];
    let memberOf: string;
    let coOwned: string;
    let apiKey: string;
    let coOwner: TestUser;
    let otherSession: { accessToken: string; refreshToken: string };
    const responses: TestResponse[] = [];

    beforeAll(async () => {
      user = await person();
      otherSession = await logIn(api, user.email, GOOD_PASSWORD);
      // A member of someone else's organization, and a co-owner of one with an API key of its own.
      memberOf = (await ownerWithOrg(api, 'Stays Co')).orgId;
      await addMember(api, memberOf, 'developer', user);
      const created = await actingAs(api, user).post('/v1/orgs', { name: 'Shared Co' });
      expect(created.status, created.text).toBe(201);
      coOwned = created.json.orgId;
      coOwner = await addMember(api, coOwned, 'owner');
      const key = await actingAs(api, user).post(`/v1/orgs/${coOwned}/api-keys`, { name: 'ci', role: 'viewer' });
      expect(key.status, key.text).toBe(201);
      apiKey = key.json.key;
      expect((await actingAs(api, apiKey).get(`/v1/orgs/${coOwned}`)).status).toBe(200);
      secret = await enableTotp(user);

      // What a thief would have taken before the deletion: every item of the account.
      copies = [...(await rawPartition(api, Keys.userPartition(user.userId))), (await rawItem(api, Keys.userByEmail(await api.platform.emailIndex.lookupHash(user.email))))!];
      expect(copies.map((i) => i.sk).filter((sk) => !sk.startsWith('SESSION#')).sort()).toEqual(['DATAKEY', 'MFA#TOTP', 'PROFILE', 'USER']);

      const res = await deleteMe(user.accessToken, { password: GOOD_PASSWORD, code: totp(base32Decode(secret), Date.now()) });
      responses.push(res);
      expect(res.status, res.text).toBe(204);
    });

    it('(a) leaves nothing under the account’s partition or its address claim', async () => {
      expect(await rawPartition(api, Keys.userPartition(user.userId))).toEqual([]);
      expect(await rawItem(api, Keys.userByEmail(await api.platform.emailIndex.lookupHash(user.email)))).toBeUndefined();
      // The sessions' refresh tokens went with them.
      for (const session of copies.filter((i) => i.sk.startsWith('SESSION#'))) {
        expect(await rawItem(api, Keys.refreshToken(String(session.refreshTokenHash)))).toBeUndefined();
      }
    });

    it('(b) leaves the copied sealed values unreadable by any code path, even with the items restored', async () => {
      const profile = UserRecord.parse(copies.find((i) => i.sk === 'PROFILE'));
      const factor = copies.find((i) => i.sk === 'MFA#TOTP')!;
      const ring = userKeyRing(api.platform);
      // Everything restored but the data key, which only the deletion removed for good.
      await putRawItems(api, copies.filter((i) => i.sk !== 'DATAKEY'));
      try {
        await expect(ring.open(user.userId)).rejects.toBeInstanceOf(UserDataUnavailableError);
        await expect(openUserPii(ring, profile)).rejects.toBeInstanceOf(UserDataUnavailableError);
        // The restored session still authenticates for a moment, and finds nothing to read: a clear 409.
        const me = await actingAs(api, otherSession.accessToken).get('/v1/me');
        responses.push(me);
        expect(me.status).toBe(409);
        expect(me.json.error.code).toBe('conflict');
        // A login with the restored claim gets past the password, and its second step has no secret to check.
        const login = await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD } });
        responses.push(login);
        expect(login.json).toMatchObject({ mfaRequired: true });
        const second = await api.request('POST', '/v1/auth/login/mfa', { body: { mfaToken: login.json.mfaToken, code: totp(base32Decode(secret), Date.now() + 30_000) } });
        responses.push(second);
        expect(second.status).toBe(409);
        expect(second.json.error.code).toBe('conflict');
        // A new data key for the same user opens none of it: the old one is not derivable from anything kept.
        const fresh = await createUserKey(api.platform.piiKeys, user.userId, new Date());
        for (const [field, sealed] of [['email', profile.sealedEmail], ['name', profile.sealedName], ['totp-secret', String(factor.sealedSecret)]] as const) {
          expect(() => fresh.key.open(field, sealed), field).toThrow(SealedValueError);
        }
        // Nor does the PII key itself: sealed values are not wrapped keys.
        await expect(api.platform.piiKeys.decryptDataKey(Buffer.from(profile.sealedEmail), { purpose: 'user-pii', user: user.userId })).rejects.toThrow();
      } finally {
        for (const item of copies) await api.platform.table.doc.send(new DeleteCommand({ TableName: inject('tableName'), Key: { pk: item.pk, sk: item.sk } }));
      }
    });

    it('(c) lets the address sign up again, as a new, empty account', async () => {
      const again = await signUpVerifiedUser(api, api.outbox, { email: user.email });
      expect(again.userId).not.toBe(user.userId);
      const orgs = await actingAs(api, again).get('/v1/orgs');
      expect(orgs.json.orgs).toEqual([]);
    });

    it('(d) keeps every audit chain whole: the user’s ends with user.deleted, each organization records the removal', async () => {
      const chain = await verifyAuditChain(api.platform.table, `user:${user.userId}`);
      expect(chain.ok).toBe(true);
      const records = await rawPartition(api, Keys.auditPartition(`user:${user.userId}`));
      expect(records.at(-1)).toMatchObject({
        action: 'user.deleted',
        actor: { type: 'user', id: user.userId },
        target: { type: 'user', id: user.userId },
        metadata: { organizationsLeft: 2, sessionsEnded: 2 },
      });
      expect(records.at(-1)!.actor).toEqual({ type: 'user', id: user.userId });
      for (const orgId of [memberOf, coOwned]) {
        expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok, orgId).toBe(true);
        const removal = (await rawPartition(api, Keys.auditPartition(`org:${orgId}`))).find((r) => r.action === 'member.removed');
        expect(removal, orgId).toMatchObject({ actor: { type: 'user', id: user.userId }, target: { type: 'user', id: user.userId }, metadata: { via: 'account_deleted' } });
      }
      const text = JSON.stringify(records);
      for (const value of [user.email, user.local, user.name]) expect(text).not.toContain(value);
    });

    it('ends every token: access tokens, refresh tokens and the API key the person created', async () => {
      const refresh = await api.request('POST', '/v1/auth/refresh', { body: { refreshToken: otherSession.refreshToken } });
      responses.push(refresh);
      expect(refresh.status).toBe(400);
      const viaKey = await actingAs(api, apiKey).get(`/v1/orgs/${coOwned}`);
      responses.push(viaKey);
      expect(viaKey.status).toBe(401);
      // Every session ended in the deletion's transaction: the old access tokens are refused at once,
      // as an ended session (not as a wrong password), on every route.
      for (const token of [user.accessToken, otherSession.accessToken]) {
        for (const path of ['/v1/me', '/v1/orgs', `/v1/orgs/${memberOf}`]) {
          const res = await actingAs(api, token).get(path);
          responses.push(res);
          expect(res.status, path).toBe(401);
          expect(res.json.error, path).toMatchObject({ code: 'unauthenticated', message: 'The session has ended; log in again.' });
        }
      }
      // The co-owner keeps the organization.
      expect((await actingAs(api, coOwner).get(`/v1/orgs/${coOwned}`)).status).toBe(200);
    });

    it('(e) puts the address and name in no log line, event or response; the notice goes to the address', async () => {
      expect((await mailTo(api.outbox, user.email)).map((m) => m.subject)).toContain('Your Rampart account was deleted');
      await api.platform.events.drain();
      const logs = logLines().join('');
      expect(logs).toContain('"message":"Request completed"');
      const events = JSON.stringify(api.platform.events.published);
      expect(events).toContain('user.deleted');
      const answered = responses.map((r) => r.text).join('\n');
      for (const value of [user.email, user.email.toLowerCase(), user.local, user.name]) {
        expect(logs, 'a log line').not.toContain(value);
        expect(events, 'an event').not.toContain(value);
        expect(answered, 'a response').not.toContain(value);
      }
    });
  });

  describe('refusals', () => {
    it('refuses the last owner of an organization with 409 naming it, and changes nothing', async () => {
      const { owner, orgId } = await ownerWithOrg(api, 'Only Me Co');
      const res = await deleteMe(owner.accessToken, { password: GOOD_PASSWORD });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
      expect(res.json.error.message).toContain(orgId);
      expect(await rawItem(api, Keys.user(owner.userId))).not.toHaveProperty('deletionStartedAt');
      expect((await actingAs(api, owner).get('/v1/me')).status).toBe(200);
      expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/members`)).json.members).toHaveLength(1);
    });

    // Deletion is rate class `reauth` (10 per 15 minutes per person, its own bucket).
    it('needs the password (401), and a current second factor when two-factor is on (400 without, 401 wrong)', async () => {
      const plain = await person();
      const wrongPassword = await deleteMe(plain.accessToken, { password: 'not the password at all' });
      expect(wrongPassword.status).toBe(401);
      expect(wrongPassword.json.error.code).toBe('invalid_credentials');

      const [withoutCode, withWrongCode] = await Promise.all([person(), person()]);
      await enableTotp(withoutCode);
      const noCode = await deleteMe(withoutCode.accessToken, { password: GOOD_PASSWORD });
      expect(noCode.status).toBe(400);
      expect(noCode.json.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.code']);
      const secret = await enableTotp(withWrongCode);
      const wrong = String((Number(totp(base32Decode(secret), Date.now())) + 500_000) % 1_000_000).padStart(6, '0');
      const wrongCode = await deleteMe(withWrongCode.accessToken, { password: GOOD_PASSWORD, code: wrong });
      expect(wrongCode.status).toBe(401);
      expect(wrongCode.json.error.code).toBe('invalid_mfa_code');
      for (const u of [plain, withoutCode, withWrongCode]) expect((await actingAs(api, u).get('/v1/me')).status).toBe(200);
    });

    it('answers malformed bodies with 400, never a 500', async () => {
      const bodies = [undefined, {}, { password: 42 }, { password: '' }, { password: GOOD_PASSWORD, code: 7 }, 'nonsense'];
      for (let i = 0; i < bodies.length; i += 3) {
        const user = await person();
        for (const body of bodies.slice(i, i + 3)) {
          const res = await deleteMe(user.accessToken, body);
          expect(res.status, JSON.stringify(body)).toBe(400);
          expect(res.json.error.code, JSON.stringify(body)).toMatch(/^(validation_failed|malformed_json|bad_request)$/);
        }
        expect((await actingAs(api, user).get('/v1/me')).status).toBe(200);
      }
    });

    it('refuses an API key (403: a key acts for an organization, not a person)', async () => {
      const { owner, orgId } = await ownerWithOrg(api, 'Key Co');
      const key = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'ci', role: 'owner' });
      const res = await deleteMe(key.json.key, { password: GOOD_PASSWORD });
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    });
  });

  describe('resuming', () => {
    it('completes on a second request after an interruption, and lets the marked account found or join nothing meanwhile', async () => {
      const user = await person();
      const { orgId } = await ownerWithOrg(api, 'Halfway Co');
      await addMember(api, orgId, 'viewer', user);
      const other = await ownerWithOrg(api, 'Later Co');
      // Interrupted after step 2: the profile is marked, the membership still there.
      await api.platform.table.doc.send(
        new UpdateCommand({ TableName: inject('tableName'), Key: Keys.user(user.userId), UpdateExpression: 'SET deletionStartedAt = :at, version = version + :one', ExpressionAttributeValues: { ':at': new Date().toISOString(), ':one': 1 } }),
      );
      const founded = await actingAs(api, user).post('/v1/orgs', { name: 'Too Late Co' });
      expect(founded.status).toBe(409);
      const invitation = await actingAs(api, other.owner).post(`/v1/orgs/${other.orgId}/invitations`, { email: user.email, role: 'developer' });
      expect(invitation.status).toBe(201);
      const token = await tokenFromMail(api.outbox, user.email, /invited to join "Later Co"/);
      const accepted = await actingAs(api, user).post('/v1/invitations/accept', { token });
      expect(accepted.status).toBe(403);

      const res = await deleteMe(user.accessToken, { password: GOOD_PASSWORD });
      expect(res.status, res.text).toBe(204);
      expect(await rawPartition(api, Keys.userPartition(user.userId))).toEqual([]);
      expect((await verifyAuditChain(api.platform.table, `user:${user.userId}`)).ok).toBe(true);
      const removal = (await rawPartition(api, Keys.auditPartition(`org:${orgId}`))).find((r) => r.action === 'member.removed');
      expect(removal).toMatchObject({ target: { type: 'user', id: user.userId }, metadata: { role: 'viewer', via: 'account_deleted' } });
    });

    it('of two owners deleting their accounts at once, lets at most one leave the organization', async () => {
      const first = await person();
      const second = await person();
      const created = await actingAs(api, first).post('/v1/orgs', { name: 'Two Owners Co' });
      const orgId = created.json.orgId as string;
      await addMember(api, orgId, 'owner', second);
      const results = await Promise.all([first, second].map((u) => deleteMe(u.accessToken, { password: GOOD_PASSWORD })));
      expect(results.map((r) => r.status).sort()).toContain(409);
      const remaining = [first, second].filter((_, i) => results[i]!.status !== 204);
      expect(remaining.length).toBeGreaterThanOrEqual(1);
      const members = await actingAs(api, remaining[0]!).get(`/v1/orgs/${orgId}/members`);
      expect(members.json.members.filter((m: { role: string }) => m.role === 'owner').length).toBeGreaterThanOrEqual(1);
      expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
    });
  });
});
