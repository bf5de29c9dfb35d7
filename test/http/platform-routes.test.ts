import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../functions/kernel/http/security-headers';
import { testPlatform, useTestApi } from '../support/platform';
import { freePort } from '../support/ports';

const expectSecurityHeaders = (headers: Headers) => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headers.get(name), name).toBe(value);
  expect(headers.get('x-request-id')).toMatch(/^[A-Za-z0-9-]{8,}$/);
};

const expectErrorShape = (json: any, code: string, headers: Headers) => {
  expect(json).toEqual({ error: { code, message: expect.any(String), requestId: headers.get('x-request-id') } });
  expect(JSON.stringify(json)).not.toMatch(/\bat .*\(.*:\d+:\d+\)|node_modules|\.ts:\d+/);
};

describe('platform routes over the local gateway', () => {
  const { api } = useTestApi();

  it('answers GET /v1/health with 200, the version and every security header', async () => {
    const res = await api.request('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', version: '0.0.0-test' });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectSecurityHeaders(res.headers);
  });

  it('gives each request its own id', async () => {
    const [a, b] = await Promise.all([api.request('GET', '/v1/health'), api.request('GET', '/v1/health')]);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('answers an unknown path with a JSON 404 carrying the security headers', async () => {
    for (const path of ['/v1/nope', '/', '/v1', '/v1/health/extra', '/v2/health', '/v1//health']) {
      const res = await api.request('GET', path);
      expect(res.status, path).toBe(404);
      expectErrorShape(res.json, 'not_found', res.headers);
      expectSecurityHeaders(res.headers);
    }
  });

  it('answers a known path with another method with a JSON 405 and an Allow header', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await api.request(method, '/v1/health');
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
      expectErrorShape(res.json, 'method_not_allowed', res.headers);
      expectSecurityHeaders(res.headers);
    }
  });

  it('refuses a malformed JSON body with 400, even on a route without a body', async () => {
    const res = await api.request('GET', '/v1/health', { rawBody: '{"a":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'malformed_json', res.headers);
  });

  it('refuses a 100 KiB body with 413 before parsing it', async () => {
    const res = await api.request('GET', '/v1/health', { rawBody: `"${'x'.repeat(100 * 1024)}"`, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expectErrorShape(res.json, 'payload_too_large', res.headers);
    expectSecurityHeaders(res.headers);
  });

  it('refuses unknown fields and unknown query parameters with 400 and per-field issues', async () => {
    const body = await api.request('GET', '/v1/health', { body: { unexpected: true } });
    expect(body.status).toBe(400);
    expect(body.json.error.code).toBe('validation_failed');
    expect(body.json.error.issues).toEqual([{ path: 'body', message: expect.any(String) }]);

    const query = await api.request('GET', '/v1/health?verbose=1');
    expect(query.status).toBe(400);
    expect(query.json.error.code).toBe('validation_failed');
    expect(query.json.error.issues[0].path).toBe('query');
  });

  it('serves an OpenAPI 3.1 document listing every route', async () => {
    const res = await api.request('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    expect(Object.keys(res.json.paths)).toContain('/v1/health');
    expectSecurityHeaders(res.headers);
  });
});

describe('GET /v1/health when storage is down', () => {
  // A port that nothing listens on: connections are refused at once.
  const { api } = useTestApi({ platform: async () => testPlatform({ endpoint: `http://127.0.0.1:${await freePort()}` }) });

  it('answers 503 service_unavailable in the JSON error shape', async () => {
    const res = await api.request('GET', '/v1/health');
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'service_unavailable', res.headers);
    expectSecurityHeaders(res.headers);
  });
});
