import { describe, expect, it } from 'vitest';
import { invitationMail } from '../../functions/orgs/invitation-mail';
import { actingAs, signUpVerifiedUser } from '../support/identity';
import { useTestApi } from '../support/platform';
import { createProject, ownerWithOrg } from '../support/tenancy';

const HOSTILE = [
  ['a line break (a mail header or paragraph of its own)', 'Acme\r\nBcc: victim@example.com\r\n\r\nYour account is locked: https://evil.example'],
  ['a NUL', 'Acme\u0000'],
  ['a C1 control', 'Acme\u0085Co'],
  ['a right-to-left override', 'Acme\u202Egnp.exe'],
  ['a lone surrogate', 'Acme\ud800'],
] as const;

describe('free text', () => {
  const { api } = useTestApi();

  it.each(HOSTILE)('refuses %s in every free-text field, as a 400 naming the field', async (_what, text) => {
    const { owner, orgId } = await ownerWithOrg(api);
    const me = actingAs(api, owner);
    const projectId = await createProject(me, orgId);
    const refusals = [
      [await me.post('/v1/orgs', { name: text }), 'body.name'],
      [await me.patch(`/v1/orgs/${orgId}`, { name: text }), 'body.name'],
      [await me.post(`/v1/orgs/${orgId}/api-keys`, { name: text, role: 'viewer' }), 'body.name'],
      [await me.post(`/v1/orgs/${orgId}/projects`, { name: 'described', description: text }), 'body.description'],
      [await me.patch(`/v1/orgs/${orgId}/projects/${projectId}`, { version: 1, description: text }), 'body.description'],
      [await me.patch('/v1/me', { name: text }), 'body.name'],
      [await api.request('POST', '/v1/auth/signup', { body: { email: `x${Date.now()}@example.com`, password: 'correct horse battery staple 42', name: text } }), 'body.name'],
    ] as const;
    for (const [res, path] of refusals) {
      expect(res.status, `${res.text}`).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(res.json.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });

  it('keeps names people really use: accents, scripts, emoji, punctuation', async () => {
    const me = actingAs(api, await signUpVerifiedUser(api, api.outbox));
    for (const name of ['Müller & Söhne GmbH', '株式会社アクメ', 'Ümit 🚀 O’Brien-Smith', 'R&D (EU) — 2026']) {
      const res = await me.post('/v1/orgs', { name });
      expect(res.status, res.text).toBe(201);
      expect(res.json.name).toBe(name);
    }
  });

  it('quotes user text in mail as data, so that nothing in it can start a header or a paragraph', () => {
    const mail = invitationMail('a@example.com', 'Acme\r\nBcc: victim@example.com\u202E', 'developer', 'https://app.example', 'tok');
    expect(mail.subject).not.toMatch(/[\r\n\u202E]/);
    expect(mail.subject).toContain('"Acme\\r\\nBcc: victim@example.com\\u202e"');
    expect(mail.text.split('\n').filter((line) => line.startsWith('Bcc'))).toEqual([]);
  });
});
