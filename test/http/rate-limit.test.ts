import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Authenticator } from '../../functions/kernel/auth/authenticator';
import { UnauthenticatedError } from '../../functions/kernel/errors';
import { createApiHandler } from '../../functions/kernel/http/api-handler';
import { implement } from '../../functions/kernel/http/implementation';
import { defineRoute, type Route } from '../../functions/kernel/http/route';
import { SECURITY_HEADERS } from '../../functions/kernel/http/security-headers';
import { createLogger } from '../../functions/kernel/logging/logger';
import { installPlatform } from '../../functions/kernel/platform/platform';
import { consumeRateLimit } from '../../functions/kernel/rate-limit/consume';
import { RateLimitPolicies } from '../../functions/kernel/rate-limit/policies';
import { startGateway, type RunningGateway } from '../../local/gateway';
import { bearer } from '../support/identity';
import { httpRequest, randomLoopbackIp, testPlatform, uniqueId, useTestApi, type TestResponse } from '../support/platform';
import { freePort } from '../support/ports';

// A route per class, served by the real pipeline (createApiHandler) and the local gateway.
const general = defineRoute({
  id: 'testRateGeneral',
  method: 'GET',
  path: '/v1/test/rate/general',
  domain: 'platform',
  summary: 'general class, public',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const sensitive = defineRoute({
  id: 'testRateSensitive',
  method: 'POST',
  path: '/v1/test/rate/sensitive',
  domain: 'platform',
  summary: 'sensitive class, signed in',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ name: z.string().min(1) }) },
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const login = defineRoute({
  id: 'testRateAuth',
  method: 'POST',
  path: '/v1/test/rate/auth',
  domain: 'platform',
  summary: 'auth class, signed in (like a token refresh)',
  auth: { kind: 'authenticated' },
  rateLimit: 'auth',
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const restart = defineRoute({
  id: 'testRateAction',
  method: 'POST',
  path: '/v1/test/rate/services/{serviceId}/restart',
  domain: 'platform',
  summary: 'action class',
  auth: { kind: 'authenticated' },
  rateLimit: 'action',
  request: { params: z.object({ serviceId: z.string() }) },
  success: { status: 202, description: 'ok', schema: z.object({}) },
});
const boom = defineRoute({
  id: 'testRateBoom',
  method: 'GET',
  path: '/v1/test/rate/boom',
  domain: 'platform',
  summary: 'a bug behind a limited route',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'never', schema: z.object({}) },
});
const named = defineRoute({
  id: 'testRateNamed',
  method: 'POST',
  path: '/v1/test/rate/named',
  domain: 'platform',
  summary: 'consumes a named bucket of two besides its class bucket',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'ok', schema: z.object({}) },
});
const routes: Route[] = [general, sensitive, login, restart, boom, named];

const NAMED_BUCKET = { name: 'test-named', limit: 2, periodSeconds: 60 } as const;

function buildHandler(logger = createLogger('rate-limit-test')) {
  return createApiHandler(
    'platform',
    [
      implement(general, async () => ({ body: {} })),
      implement(sensitive, async () => ({ body: {} })),
      implement(login, async () => ({ body: {} })),
      implement(restart, async () => ({ body: {} })),
      implement(boom, async () => {
        throw new Error('a bug');
      }),
      implement(named, async (_input, { platform, sourceIp }) => {
        await consumeRateLimit(platform.table, { ...NAMED_BUCKET, subject: [sourceIp] });
        return { body: {} };
      }),
    ],
    { logger: logger, answersFor: routes },
  );
}

/** `Authorization: Bearer <userId>` (`bearer(userId)`) is that user: every test makes its own principals. */
const fakeAuthenticate: Authenticator = async ({ authorization }) => {
  const match = /^Bearer (u[0-9a-f]{12})$/.exec(authorization ?? '');
  if (!match) throw new UnauthenticatedError();
  return { type: 'user', userId: match[1]!, sessionId: 's' };
};

const rateHeaders = (res: TestResponse) => ({
  limit: res.headers.get('ratelimit-limit'),
  remaining: res.headers.get('ratelimit-remaining'),
  reset: res.headers.get('ratelimit-reset'),
});

function expectBothHeaderForms(res: TestResponse) {
  for (const name of ['Limit', 'Remaining', 'Reset']) {
    expect(res.headers.get(`ratelimit-${name}`), name).toMatch(/^\d+$/);
    expect(res.headers.get(`x-ratelimit-${name}`), name).toBe(res.headers.get(`ratelimit-${name}`));
  }
}

function expectRateLimited(res: TestResponse, retryAfterSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.json).toEqual({ error: { code: 'rate_limited', message: expect.any(String), requestId: res.headers.get('x-request-id') } });
  expect(res.headers.get('retry-after')).toBe(String(retryAfterSeconds));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
}

describe('rate limiting in the request pipeline', () => {
  let gateway: RunningGateway;
  const call = (method: string, path: string, init: Parameters<typeof httpRequest>[3] = {}) =>
    httpRequest(gateway.url, method, path, { sourceIp: randomLoopbackIp(), ...init });

  beforeAll(async () => {
    installPlatform({ ...testPlatform(), authenticate: fakeAuthenticate });
    const handler = buildHandler();
    gateway = await startGateway({ routes, port: 0, loadHandler: async () => handler });
  });
  afterAll(() => gateway.close());
  // The limiter's clock stands still (timers still run): no token refills while a test runs, however slow the machine.
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }));
  afterEach(() => vi.useRealTimers());

  it('puts the class bucket state on a success in the RateLimit-* and X-RateLimit-* forms', async () => {
    const sourceIp = randomLoopbackIp();
    const first = await call('GET', '/v1/test/rate/general', { sourceIp });
    expect(first.status).toBe(200);
    expectBothHeaderForms(first);
    // 600 a minute: one token every 100 ms, so the bucket is full again within a second.
    expect(rateHeaders(first)).toEqual({ limit: '600', remaining: '599', reset: '1' });
    const second = await call('GET', '/v1/test/rate/general', { sourceIp });
    expect(rateHeaders(second).remaining).toBe('598');
  });

  it('refuses the fourth sensitive request of a principal with 429, Retry-After, the error shape and the security headers', async () => {
    const user = uniqueId('u');
    for (let i = 0; i < 3; i++) expect((await call('POST', '/v1/test/rate/sensitive', { headers: bearer(user), body: { name: 'x' } })).status).toBe(200);
    const refused = await call('POST', '/v1/test/rate/sensitive', { headers: bearer(user), body: { name: 'x' } });
    // 3 per 15 minutes: the next token in 5 minutes, full again in 15.
    expectRateLimited(refused, 300);
    expectBothHeaderForms(refused);
    expect(rateHeaders(refused)).toEqual({ limit: '3', remaining: '0', reset: '900' });

    // The bucket counts the principal, not the address: another user from anywhere is unaffected.
    expect((await call('POST', '/v1/test/rate/sensitive', { headers: bearer(uniqueId('u')), body: { name: 'x' } })).status).toBe(200);
  });

  it('carries the headers on error responses of a limited route, and counts requests that fail validation', async () => {
    const user = uniqueId('u');
    const invalid = await call('POST', '/v1/test/rate/sensitive', { headers: bearer(user), body: { name: '' } });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.code).toBe('validation_failed');
    expectBothHeaderForms(invalid);
    expect(rateHeaders(invalid)).toMatchObject({ limit: '3', remaining: '2' });

    const malformed = await call('POST', '/v1/test/rate/sensitive', { headers: { ...bearer(user), 'content-type': 'application/json' }, rawBody: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(rateHeaders(malformed).remaining).toBe('1');

    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // the bug's log line
    const bug = await call('GET', '/v1/test/rate/boom');
    quiet.mockRestore();
    expect(bug.status).toBe(500);
    expect(bug.json.error.code).toBe('internal_error');
    expectBothHeaderForms(bug);
  });

  it('does not spend a token on a request the authentication step refuses', async () => {
    const sourceIp = randomLoopbackIp();
    const refused = await call('POST', '/v1/test/rate/auth', { sourceIp });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('ratelimit-limit')).toBeNull();
    const first = await call('POST', '/v1/test/rate/auth', { sourceIp, headers: bearer(uniqueId('u')) });
    expect(rateHeaders(first).remaining).toBe('29');
  });

  it('counts auth-class requests per client address whoever the principal is: 30 of 40 simultaneous pass', async () => {
    const sourceIp = randomLoopbackIp();
    const users = Array.from({ length: 4 }, () => uniqueId('u'));
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call('POST', '/v1/test/rate/auth', { sourceIp, headers: bearer(users[i % users.length]!) })),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(30);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(10);
    for (const res of refused) expectRateLimited(res, 2);

    // Another address has its own bucket, even for the same principal.
    expect((await call('POST', '/v1/test/rate/auth', { headers: bearer(users[0]!) })).status).toBe(200);
  });

  it('limits actions per principal and target', async () => {
    const user = uniqueId('u');
    const target = `/v1/test/rate/services/${uniqueId('s')}/restart`;
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await call('POST', target, { headers: bearer(user) })).status);
    expect(statuses).toEqual([...Array<number>(10).fill(202), 429]);
    expect((await call('POST', `/v1/test/rate/services/${uniqueId('s')}/restart`, { headers: bearer(user) })).status).toBe(202);
    expect((await call('POST', target, { headers: bearer(uniqueId('u')) })).status).toBe(202);
  });

  it('shows the refusing named bucket on a 429 from a route implementation, not the class bucket', async () => {
    const sourceIp = randomLoopbackIp();
    for (let i = 0; i < NAMED_BUCKET.limit; i++) expect((await call('POST', '/v1/test/rate/named', { sourceIp })).status).toBe(200);
    const refused = await call('POST', '/v1/test/rate/named', { sourceIp });
    expectRateLimited(refused, 30);
    expect(rateHeaders(refused)).toEqual({ limit: '2', remaining: '0', reset: '60' });
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('shares one bucket between instances: no instance has a counter of its own', async () => {
    const other = buildHandler();
    const second = await startGateway({ routes, port: 0, loadHandler: async () => other });
    try {
      const user = uniqueId('u');
      const via = (url: string) => httpRequest(url, 'POST', '/v1/test/rate/sensitive', { sourceIp: randomLoopbackIp(), headers: bearer(user), body: { name: 'x' } });
      expect((await via(gateway.url)).status).toBe(200);
      expect((await via(second.url)).status).toBe(200);
      expect((await via(gateway.url)).status).toBe(200);
      expect((await via(second.url)).status).toBe(429);
      expect((await via(gateway.url)).status).toBe(429);
    } finally {
      await second.close();
    }
  });
});

describe('rate limiting when its storage is down', () => {
  let gateway: RunningGateway;
  const lines: string[] = [];
  const call = (method: string, path: string, init: Parameters<typeof httpRequest>[3] = {}) =>
    httpRequest(gateway.url, method, path, { sourceIp: randomLoopbackIp(), ...init });

  beforeAll(async () => {
    // A port nothing listens on: every storage call is refused at once.
    const port = await freePort();
    installPlatform({ ...testPlatform({ endpoint: `http://127.0.0.1:${port}` }), authenticate: fakeAuthenticate });
    const logger = createLogger('rate-limit-test');
    logger.setLogLevel('WARN');
    const handler = buildHandler(logger);
    gateway = await startGateway({ routes, port: 0, loadHandler: async () => handler });
  });
  afterAll(() => gateway.close());
  afterEach(() => vi.restoreAllMocks());

  it('fails open for the general class: admits the request without headers and logs a warning', async () => {
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    }
    const res = await call('GET', '/v1/test/rate/general');
    vi.restoreAllMocks();
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'WARN' && l.rateLimitClass === 'general');
    expect(warning).toBeDefined();
    expect(warning.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('fails closed for the auth, sensitive and action classes with 503 service_unavailable', async () => {
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true); // the 503s' warnings
    const user = uniqueId('u');
    const responses = [
      await call('POST', '/v1/test/rate/auth', { headers: bearer(user) }),
      await call('POST', '/v1/test/rate/sensitive', { headers: bearer(user), body: { name: 'x' } }),
      await call('POST', `/v1/test/rate/services/${uniqueId('s')}/restart`, { headers: bearer(user) }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ error: { code: 'service_unavailable', message: expect.any(String), requestId: res.headers.get('x-request-id') } });
    }
  });

  it('declares which classes fail open', () => {
    const open = Object.entries(RateLimitPolicies)
      .filter(([, policy]) => policy.onStorageFailure === 'open')
      .map(([name]) => name);
    expect(open.sort()).toEqual(['general', 'upload']);
  });
});

describe('GET /v1/health (general class) over the real route table', () => {
  const { api } = useTestApi();
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }));
  afterEach(() => vi.useRealTimers());

  it('carries the general class headers with sensible values', async () => {
    const sourceIp = randomLoopbackIp();
    const first = await api.request('GET', '/v1/health', { sourceIp });
    expect(first.status).toBe(200);
    expectBothHeaderForms(first);
    expect(rateHeaders(first)).toEqual({ limit: String(RateLimitPolicies.general.limit), remaining: '599', reset: '1' });
    const second = await api.request('GET', '/v1/health', { sourceIp });
    expect(Number(rateHeaders(second).remaining)).toBe(598);
  });

  it('answers an unknown path before any bucket: no route, no class (the WAF limits those)', async () => {
    const res = await api.request('GET', '/v1/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
  });
});
