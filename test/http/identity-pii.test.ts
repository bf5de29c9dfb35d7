import { beforeAll, describe, expect, inject, it } from 'vitest';
import { openUserPii } from '../../functions/identity/account';
import { hashPassword } from '../../functions/identity/passwords';
import { userKeyRing } from '../../functions/identity/user-keys';
import { UserRecord } from '../../functions/kernel/accounts/user-record';
import { Ids } from '../../functions/kernel/ids';
import { sealedKeyRef, SealedValueError } from '../../functions/kernel/keys/aead';
import { Keys } from '../../functions/kernel/storage/keys';
import { CountingKeyProvider } from '../../local/counting-key-provider';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { bearer, GOOD_PASSWORD, logIn, mailTo, tokenFromMail } from '../support/identity';
import { testPlatform, uniqueId, useTestApi } from '../support/platform';
import { putRawItems, rawItem, rawPartition, type RawItem } from '../support/raw-items';

/**
 * Personal data at rest: an account's address, name and session client details are sealed under
 * the user's own data key (wrapped by the PII key); the table holds no plaintext of them.
 */
describe('identity: personal data sealed under per-user data keys', () => {
  const piiKeys = new CountingKeyProvider(LocalKeyProvider.fromKey(Buffer.from(inject('testPiiKey'), 'hex')));
  const { api } = useTestApi({ platform: () => ({ ...testPlatform(), piiKeys }) });

  /** A verified, logged-in account with a distinctive address and name. */
  async function person(overrides: { userAgent?: string; sourceIp?: string } = {}) {
    const local = uniqueId('Pii.Person');
    const email = `${local}@example.com`;
    const name = `Ottoline ${uniqueId('Quill')}`;
    expect((await api.request('POST', '/v1/auth/signup', { body: { email: `  ${local}@EXAMPLE.com `, password: GOOD_PASSWORD, name } })).status).toBe(202);
    const token = await tokenFromMail(api.outbox, email, /Verify/);
    expect((await api.request('POST', '/v1/auth/verify-email', { body: { token, password: GOOD_PASSWORD } })).status).toBe(200);
    const login = await api.request('POST', '/v1/auth/login', {
      body: { email, password: GOOD_PASSWORD },
      headers: { 'user-agent': overrides.userAgent ?? 'vitest' },
      ...(overrides.sourceIp ? { sourceIp: overrides.sourceIp } : {}),
    });
    expect(login.status, login.text).toBe(200);
    const me = await api.request('GET', '/v1/me', { headers: bearer(login.json.accessToken) });
    return { email, local, name, userId: me.json.userId as string, accessToken: login.json.accessToken as string, refreshToken: login.json.refreshToken as string };
  }

  const spellings = (p: { email: string; local: string; name: string }) => [p.email, p.email.toLowerCase(), p.local, p.local.toLowerCase(), p.name];

  it('stores no address or name in the clear: the profile keeps the lookup hash and values sealed under the user key', async () => {
    const p = await person();
    const items = await rawPartition(api, Keys.userPartition(p.userId));
    expect(items.map((i) => i.sk.replace(/#.*/, '#')).sort()).toEqual(['DATAKEY', 'PROFILE', 'SESSION#']);
    const profile = items.find((i) => i.sk === 'PROFILE')!;
    expect(profile).toMatchObject({ emailHash: await api.platform.emailIndex.lookupHash(p.email), sealedEmail: expect.stringMatching(/^rmp1\./), sealedName: expect.stringMatching(/^rmp1\./) });
    expect(profile).not.toHaveProperty('email');
    expect(profile).not.toHaveProperty('name');
    expect(sealedKeyRef(String(profile.sealedEmail))).toBe(`user:${p.userId}:pii:v1`);
    // The data key item: a wrapped key and ids, nothing else.
    expect(Object.keys(items.find((i) => i.sk === 'DATAKEY')!).sort()).toEqual(['createdAt', 'pk', 'rootKeyId', 'sk', 'userId', 'wrapped']);

    const claim = await rawItem(api, Keys.userByEmail(await api.platform.emailIndex.lookupHash(p.email)));
    expect(claim).toMatchObject({ userId: p.userId });
    const text = JSON.stringify([...items, claim]);
    for (const value of spellings(p)) expect(text).not.toContain(value);

    const me = await api.request('GET', '/v1/me', { headers: bearer(p.accessToken) });
    expect(me.json).toMatchObject({ userId: p.userId, email: p.email, name: p.name });
  });

  it('seals each session’s client address and agent, bound to the session, and shows them only to their owner', async () => {
    const agent = `PiiAgent/${uniqueId('ua')}`;
    const sourceIp = '127.201.7.9';
    const p = await person({ userAgent: agent, sourceIp });
    const refreshed = await api.request('POST', '/v1/auth/refresh', { body: { refreshToken: p.refreshToken }, sourceIp: '127.202.8.10' });
    expect(refreshed.status).toBe(200);

    const [session] = (await rawPartition(api, Keys.userPartition(p.userId))).filter((i) => i.sk.startsWith('SESSION#'));
    expect(session).toMatchObject({ sealedIp: expect.stringMatching(/^rmp1\./), sealedUserAgent: expect.stringMatching(/^rmp1\./) });
    expect(session).not.toHaveProperty('ip');
    expect(session).not.toHaveProperty('userAgent');
    const text = JSON.stringify(session);
    for (const value of [agent, sourceIp, '127.202.8.10']) expect(text).not.toContain(value);

    const list = await api.request('GET', '/v1/auth/sessions', { headers: bearer(refreshed.json.accessToken) });
    expect(list.json.sessions).toEqual([expect.objectContaining({ userAgent: agent, ip: '127.202.8.10', current: true })]);
  });

  it('opens a sealed value only for its own account and field: one moved to another account or field is refused', async () => {
    const [a, b] = await Promise.all([person(), person()]);
    const profileOf = async (userId: string) => UserRecord.parse(await rawItem(api, Keys.user(userId)));
    const [profileA, profileB] = await Promise.all([profileOf(a.userId), profileOf(b.userId)]);
    const ring = userKeyRing(api.platform);
    await expect(openUserPii(ring, profileA)).resolves.toEqual({ email: a.email, name: a.name });
    await expect(openUserPii(ring, { ...profileB, sealedName: profileA.sealedName })).rejects.toBeInstanceOf(SealedValueError);
    await expect(openUserPii(ring, { ...profileA, sealedName: profileA.sealedEmail })).rejects.toBeInstanceOf(SealedValueError);
  });

  it('renames by sealing the new name; the audit record names the field, never the value', async () => {
    const p = await person();
    const newName = `Renamed ${uniqueId('n')}`;
    const renamed = await api.request('PATCH', '/v1/me', { headers: bearer(p.accessToken), body: { name: newName } });
    expect(renamed.json).toMatchObject({ name: newName, email: p.email });
    const items = [...(await rawPartition(api, Keys.userPartition(p.userId))), ...(await rawPartition(api, Keys.auditPartition(`user:${p.userId}`)))];
    expect(JSON.stringify(items)).not.toContain(newName);
    expect(items.find((i) => i.action === 'user.profile_updated')).toMatchObject({ metadata: { fields: ['name'] } });
  });

  it('reads personal data without a KMS call per request once the instance holds the user key', async () => {
    const p = await person();
    const before = piiKeys.decryptDataKeyCalls;
    for (let i = 0; i < 10; i++) expect((await api.request('GET', '/v1/me', { headers: bearer(p.accessToken) })).status).toBe(200);
    expect((await api.request('GET', '/v1/auth/sessions', { headers: bearer(p.accessToken) })).status).toBe(200);
    expect(piiKeys.decryptDataKeyCalls - before).toBeLessThanOrEqual(1);
  });

  it('makes one data key per account, at signup, whatever the address', async () => {
    const before = piiKeys.generateDataKeyCalls;
    await person();
    expect(piiKeys.generateDataKeyCalls - before).toBe(1);
  });

  describe('an account stored by an older version (address and name in the clear, no data key)', () => {
    let legacy: { email: string; userId: string };

    beforeAll(async () => {
      legacy = { email: `${uniqueId('legacy')}@example.com`, userId: Ids.user.generate() };
      const now = new Date().toISOString();
      const items: RawItem[] = [
        {
          ...Keys.user(legacy.userId),
          userId: legacy.userId,
          email: legacy.email,
          name: 'Old Timer',
          passwordHash: await hashPassword(GOOD_PASSWORD),
          emailVerified: true,
          mfaEnabled: false,
          createdAt: now,
          updatedAt: now,
          passwordChangedAt: now,
          version: 1,
        },
        { ...Keys.userByEmail(await api.platform.emailIndex.lookupHash(legacy.email)), userId: legacy.userId },
      ];
      await putRawItems(api, items);
    });

    it('answers its login with a clear 409, never a 500', async () => {
      const res = await api.request('POST', '/v1/auth/login', { body: { email: legacy.email, password: GOOD_PASSWORD } });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
    });

    it('answers signup, resend and forgot for its address as for any other', async () => {
      const signup = await api.request('POST', '/v1/auth/signup', { body: { email: legacy.email, password: GOOD_PASSWORD, name: 'Someone' } });
      expect(signup.status).toBe(202);
      expect(signup.json).toEqual({ status: 'accepted' });
      expect((await api.request('POST', '/v1/auth/verify-email/resend', { body: { email: legacy.email } })).status).toBe(202);
      expect((await api.request('POST', '/v1/auth/password/forgot', { body: { email: legacy.email } })).status).toBe(202);
      // The consumer finds an account it cannot act on, and drops the work: no mail, no error.
      await api.platform.events.drain();
      expect(await mailTo(api.outbox, legacy.email)).toEqual([]);
    });
  });

  it('keeps working for a person who logs in again after the instance forgot the key', async () => {
    const p = await person();
    userKeyRing(api.platform).forget(p.userId);
    const again = await logIn(api, p.email, GOOD_PASSWORD);
    expect((await api.request('GET', '/v1/me', { headers: bearer(again.accessToken) })).json.email).toBe(p.email);
  });
});
