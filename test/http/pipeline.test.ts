import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiHandler } from '../../functions/kernel/http/api-handler';
import { implement } from '../../functions/kernel/http/implementation';
import { defineRoute, type Route } from '../../functions/kernel/http/route';
import { SECURITY_HEADERS } from '../../functions/kernel/http/security-headers';
import { createLogger } from '../../functions/kernel/logging/logger';
import { installPlatform } from '../../functions/kernel/platform/platform';
import { startGateway, type RunningGateway } from '../../local/gateway';
import { httpRequest, testPlatform } from '../support/platform';

// A route table of the kernel's own test routes, served by the real pipeline and gateway.
const echo = defineRoute({
  id: 'testEcho',
  method: 'POST',
  path: '/v1/test/things/{thingId}',
  domain: 'platform',
  summary: 'echo',
  auth: { kind: 'public' },
  rateLimit: 'general',
  request: {
    params: z.object({ thingId: z.string().regex(/^t_[a-z0-9]+$/) }),
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: z.object({ name: z.string().min(1).max(20), size: z.number().int().positive(), tags: z.array(z.string()).optional() }),
  },
  success: { status: 201, description: 'echoed', schema: z.object({ thingId: z.string(), name: z.string(), size: z.number(), dryRun: z.boolean() }) },
});
const boom = defineRoute({
  id: 'testBoom',
  method: 'GET',
  path: '/v1/test/boom',
  domain: 'platform',
  summary: 'a bug',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'never', schema: z.object({}) },
});
const leaky = defineRoute({
  id: 'testLeaky',
  method: 'GET',
  path: '/v1/test/leaky',
  domain: 'platform',
  summary: 'returns more than it declares',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'ok', schema: z.object({ name: z.string() }) },
});
const privateRoute = defineRoute({
  id: 'testPrivate',
  method: 'GET',
  path: '/v1/test/private',
  domain: 'platform',
  summary: 'needs a principal',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const routes: Route[] = [echo, boom, leaky, privateRoute];

const SECRET = 'hunter2-correct-horse-battery';

const handler = createApiHandler(
  'platform',
  [
    implement(echo, async ({ params, query, body }) => ({
      body: { thingId: params.thingId, name: body.name, size: body.size, dryRun: query.dryRun === 'true' },
    })),
    implement(boom, async () => {
      throw new Error(`database password is ${SECRET} at /var/task/index.mjs:1:2`);
    }),
    implement(leaky, async () => ({ body: { name: 'ok', passwordHash: 'argon2id$...', internal: true } as { name: string } })),
    implement(privateRoute, async () => ({ body: {} })),
  ],
  { logger: createLogger('pipeline-test'), answersFor: routes },
);

describe('request pipeline', () => {
  let gateway: RunningGateway;
  const call = (method: string, path: string, init?: Parameters<typeof httpRequest>[3]) => httpRequest(gateway.url, method, path, init);

  beforeAll(async () => {
    installPlatform(testPlatform());
    gateway = await startGateway({ routes, port: 0, loadHandler: async () => handler });
  });
  afterAll(() => gateway.close());
  afterEach(() => vi.restoreAllMocks());

  it('passes validated, typed input to the route and returns its declared status', async () => {
    const res = await call('POST', '/v1/test/things/t_1?dryRun=true', { body: { name: 'web', size: 2 } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ thingId: 't_1', name: 'web', size: 2, dryRun: true });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await call('POST', '/v1/test/things/t_1', { rawBody: 'name=web', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('unsupported_media_type');
    const none = await call('POST', '/v1/test/things/t_1', { rawBody: '{"name":"web","size":1}' });
    expect(none.status).toBe(415);
  });

  it('accepts exactly 64 KiB and refuses one byte more with 413', async () => {
    const make = (bytes: number) => {
      const base = JSON.stringify({ name: 'a', size: 1, tags: [''] });
      return JSON.stringify({ name: 'a', size: 1, tags: ['x'.repeat(bytes - base.length)] });
    };
    const ok = make(64 * 1024);
    expect(Buffer.byteLength(ok)).toBe(64 * 1024);
    expect((await call('POST', '/v1/test/things/t_1', { rawBody: ok, headers: { 'content-type': 'application/json' } })).status).toBe(201);
    const over = make(64 * 1024 + 1);
    const res = await call('POST', '/v1/test/things/t_1', { rawBody: over, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
  });

  it('refuses malformed JSON with 400 malformed_json', async () => {
    for (const rawBody of ['{"name":', '{name: "x"}', 'null,', '\u0000']) {
      const res = await call('POST', '/v1/test/things/t_1', { rawBody, headers: { 'content-type': 'application/json' } });
      expect(res.status, rawBody).toBe(400);
      expect(res.json.error.code).toBe('malformed_json');
    }
  });

  it('reports every invalid and unknown field at once, per field', async () => {
    const res = await call('POST', '/v1/test/things/BAD?dryRun=maybe&extra=1', { body: { name: '', size: -1, admin: true } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
    const paths = res.json.error.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(['body.admin', 'body.name', 'body.size', 'params.thingId', 'query.dryRun', 'query.extra']);
  });

  it('refuses a missing body where one is required', async () => {
    const res = await call('POST', '/v1/test/things/t_1');
    expect(res.status).toBe(400);
    expect(res.json.error.issues[0].path).toBe('body');
  });

  it('refuses a repeated query parameter instead of silently picking one', async () => {
    const res = await call('POST', '/v1/test/things/t_1?dryRun=true&dryRun=false', { body: { name: 'a', size: 1 } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
  });

  it('strips fields the response schema does not declare', async () => {
    const res = await call('GET', '/v1/test/leaky');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ name: 'ok' });
  });

  it('refuses a non-public route when no principal can be established (fails closed)', async () => {
    const res = await call('GET', '/v1/test/private');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('turns a bug into a generic 500 with the request id, logged with it, leaking nothing', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const res = await call('GET', '/v1/test/boom');
    vi.restoreAllMocks();
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(res.json).toEqual({ error: { code: 'internal_error', message: expect.any(String), requestId } });
    expect(res.text).not.toContain(SECRET);
    expect(res.text).not.toContain('index.mjs');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);

    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'Unhandled error');
    expect(logged).toBeDefined();
    expect(logged.requestId).toBe(requestId);
    expect(logged.level).toBe('ERROR');
    expect(lines.join('')).not.toContain(SECRET);
  });
});
