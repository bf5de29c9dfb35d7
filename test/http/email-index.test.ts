import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EmailIndexKeyRecord, emailIndexContext } from '../../functions/kernel/accounts/email-index';
import { NamedBuckets } from '../../functions/kernel/rate-limit/policies';
import { bucketId } from '../../functions/kernel/rate-limit/subjects';
import { Keys } from '../../functions/kernel/storage/keys';
import { bearer, GOOD_PASSWORD, signUpVerifiedUser, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { rawItem } from '../support/raw-items';
import { ownerWithOrg } from '../support/tenancy';

/**
 * The keyed lookup hash of addresses, through the API: what a copy of the table holds of an
 * address can only be tested with the email index key, which is never written anywhere but wrapped.
 */
describe('email index (keyed lookup hash of addresses)', () => {
  const { api, logLines } = useTestApi({ captureLogs: true });

  const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

  it('keys the address claim, the profile and the invitation by the keyed hash, so acceptance still matches', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Index Co');
    const email = `${uniqueId('Index.Invitee')}@Example.com`;
    const invited = await api.request('POST', `/v1/orgs/${orgId}/invitations`, { headers: bearer(owner.accessToken), body: { email, role: 'viewer' } });
    expect(invited.status, invited.text).toBe(201);
    const invitee = await signUpVerifiedUser(api, api.outbox, { email: email.toLowerCase() });

    const keyed = await api.platform.emailIndex.lookupHash(email);
    expect(keyed).not.toBe(sha256(email.toLowerCase()));
    expect(await rawItem(api, Keys.userByEmail(keyed))).toMatchObject({ userId: invitee.userId });
    expect(await rawItem(api, Keys.userByEmail(sha256(email.toLowerCase())))).toBeUndefined();
    expect(await rawItem(api, Keys.user(invitee.userId))).toMatchObject({ emailHash: keyed });

    const token = await tokenFromMail(api.outbox, email, /invited to join "Index Co"/);
    const accepted = await api.request('POST', '/v1/invitations/accept', { headers: bearer(invitee.accessToken), body: { token } });
    expect(accepted.status, accepted.text).toBe(200);
  });

  it('counts the login and mail buckets by the keyed hash of the address, never by an unkeyed hash of it', async () => {
    const email = `${uniqueId('bucket')}@example.com`;
    const sourceIp = '127.61.62.63';
    expect((await api.request('POST', '/v1/auth/login', { body: { email, password: GOOD_PASSWORD }, sourceIp })).status).toBe(401);
    expect((await api.request('POST', '/v1/auth/password/forgot', { body: { email } })).status).toBe(202);

    const keyed = await api.platform.emailIndex.lookupHash(email);
    const bucket = (name: string, subject: string[]) => rawItem(api, Keys.rateLimitBucket(bucketId(name, subject)));
    expect(await bucket(NamedBuckets.loginByIpAndEmail.name, [sourceIp, keyed])).toBeDefined();
    expect(await bucket(NamedBuckets.loginByIpAndEmail.name, [sourceIp, email])).toBeUndefined();
    expect(await bucket(NamedBuckets.mailByEmail.name, [keyed])).toBeDefined();
    expect(await bucket(NamedBuckets.mailByEmail.name, [email])).toBeUndefined();
  });

  it('never writes the unwrapped email index key to a log line', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    await api.request('POST', '/v1/auth/login', { body: { email: user.email, password: 'wrong password, surely' } });
    await api.request('POST', '/v1/auth/verify-email/resend', { body: { email: user.email } });
    await api.request('POST', '/v1/auth/password/forgot', { body: { email: user.email } });

    const stored = EmailIndexKeyRecord.parse(await rawItem(api, Keys.emailIndexKey()));
    const key = Buffer.from(await api.platform.piiKeys.decryptDataKey(Buffer.from(stored.wrapped, 'base64'), emailIndexContext));
    const output = logLines().join('');
    expect(output.length).toBeGreaterThan(0);
    for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), JSON.stringify([...key])]) {
      expect(output).not.toContain(form);
    }
  });
});
