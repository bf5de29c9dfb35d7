import { describe, expect, it } from 'vitest';
import { actingAs } from '../support/identity';
import { uniqueId, useTestApi, type TestResponse } from '../support/platform';
import { createProject, createService, ownerWithOrg } from '../support/tenancy';

/** Zod's jargon, which no message may show a client. */
const JARGON = /Invalid input|Invalid option|Invalid string|Too small|Too big|Unrecognized key|expected|received|>=|<=/;

/** The issues of a 400 as `path: message`, after checking what every validation answer must be. */
function issuesOf(res: TestResponse): string[] {
  expect(res.status, res.text).toBe(400);
  expect(res.json.error.code).toBe('validation_failed');
  const issues = res.json.error.issues as { path: string; message: string }[];
  for (const { message } of issues) {
    expect(message).not.toMatch(JARGON);
    expect(message, 'one full stop at the end').toMatch(/[^.]\.$/);
  }
  expect(res.json.error.message).not.toMatch(JARGON);
  expect(res.json.error.message).not.toContain('.;');
  expect(res.json.error.message).not.toContain('..');
  return issues.map((i) => `${i.path}: ${i.message}`);
}

describe('validation messages', () => {
  const { api } = useTestApi();

  it('reports a missing field and an unknown one in one answer, each a sentence naming the field', async () => {
    const { owner } = await ownerWithOrg(api);
    const res = await actingAs(api, owner).post('/v1/orgs', { title: 'Acme' });
    expect(issuesOf(res)).toEqual(['body.name: "name" is required.', 'body.title: Unknown field "title".']);
    expect(res.json.error.message).toBe('Request validation failed: body.name: "name" is required. body.title: Unknown field "title".');
  });

  it('reports every wrong field of a project at once', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const res = await actingAs(api, owner).post(`/v1/orgs/${orgId}/projects`, { name: 'Not A Label', description: 42, owner: 'me' });
    expect(issuesOf(res)).toEqual([
      'body.name: "name": Use lowercase letters, digits and hyphens, starting and ending with a letter or digit.',
      'body.description: "description" must be a string.',
      'body.owner: Unknown field "owner".',
    ]);
  });

  it('reports every wrong field of a service at once, nested ones by their own name', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const me = actingAs(api, owner);
    const projectId = await createProject(me, orgId);
    const res = await me.post(`/v1/orgs/${orgId}/projects/${projectId}/services`, {
      type: 'db',
      source: { github: { repo: 'acme/api', branch: 'main', ref: 'x' } },
      cpu: 300,
      memory: 'lots',
      replicas: 11,
    });
    const issues = issuesOf(res);
    expect(issues).toEqual(
      expect.arrayContaining([
        'body.name: "name" is required.',
        'body.type: "type" must be one of web, database, cache, worker.',
        'body.source.github.ref: Unknown field "ref".',
        'body.cpu: "cpu" must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units).',
        expect.stringMatching(/^body\.memory: "memory" must be a Fargate memory size in MiB/),
        'body.replicas: "replicas" must be at most 10.',
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('checks a service change as a whole and names the fields to change', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const me = actingAs(api, owner);
    const projectId = await createProject(me, orgId);
    const serviceId = await createService(me, orgId, projectId);
    const res = await me.patch(`/v1/orgs/${orgId}/projects/${projectId}/services/${serviceId}`, { version: 1, replicas: -1, source: { image: 'nginx' } });
    expect(issuesOf(res)).toEqual(
      expect.arrayContaining(['body.replicas: "replicas" must be at least 0.', expect.stringMatching(/^body\.source\.image: "image" must be an image reference with a tag or digest/)]),
    );
  });

  it('reports query parameters by name: a bound and an unknown one', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const res = await actingAs(api, owner).get(`/v1/orgs/${orgId}/projects?limit=500&verbose=1`);
    expect(issuesOf(res)).toEqual(['query.limit: "limit" must be at most 100.', 'query.verbose: Unknown query parameter "verbose".']);
  });

  it('says a required body is missing', async () => {
    const { owner } = await ownerWithOrg(api);
    const res = await api.request('POST', '/v1/orgs', { headers: actingAs(api, owner).headers });
    expect(issuesOf(res)).toEqual(['body: The request body is required.']);
  });

  it('reports the password rules together with a missing name at signup (async schema checks run with the rest)', async () => {
    const res = await api.request('POST', '/v1/auth/signup', { body: { email: `${uniqueId('user')}@example.com`, password: 'short' } });
    const issues = issuesOf(res);
    expect(issues).toContain('body.name: "name" is required.');
    expect(issues.filter((i) => i.startsWith('body.password: ')).length).toBeGreaterThan(0);
  });
});
