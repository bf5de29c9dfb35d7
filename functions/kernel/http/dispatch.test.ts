import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import { createLogger } from '../logging/logger';
import type { Platform } from '../platform/platform';
import { dispatch, handOver } from './dispatch';
import { implement } from './implementation';
import { defineRoute, NDJSON } from './route';
import type { ApiState } from './types';

const view = defineRoute({ id: 'view', method: 'GET', path: '/v1/view', domain: 'platform', summary: 'v', auth: { kind: 'public' }, rateLimit: 'general', success: { status: 200, description: 'ok', schema: z.object({ name: z.string() }) } });
const lines = defineRoute({ id: 'lines', method: 'GET', path: '/v1/lines', domain: 'platform', summary: 'l', auth: { kind: 'public' }, rateLimit: 'general', success: { status: 200, description: 'ok', schema: z.object({ n: z.number() }), contentType: NDJSON } });

const options = { platform: () => ({}) as Platform, logger: createLogger('dispatch-test') };
const state = (route: ApiState['route']): ApiState => ({ route, requestId: 'req-12345678', input: { params: {}, query: {}, body: undefined } });

describe('handOver and dispatch', () => {
  it('hands the pipeline state to the dispatcher on the invocation context', () => {
    const request = testRequest({}, state(view));
    handOver().before!(request);
    expect(request.context.pipeline).toBe(request.internal);
  });

  it('answers what the implementation returns, stripped to the success schema', async () => {
    const handler = dispatch([implement(view, async () => ({ body: { name: 'a', secret: 'x' } as { name: string } }))], options);
    const result = await handler(testRequest().event, { pipeline: state(view) } as never);
    expect(result).toMatchObject({ statusCode: 200, body: '{"name":"a"}' });
  });

  it('streams JSON Lines on routes that declare them, each line checked', async () => {
    const handler = dispatch([implement(lines, async () => ({ lines: [{ n: 1 }, { n: 2 }] }))], options);
    const result = await handler(testRequest().event, { pipeline: state(lines) } as never);
    expect(result.body).toBe('{"n":1}\n{"n":2}\n');
    expect(result.headers).toMatchObject({ 'Content-Type': `${NDJSON}; charset=utf-8` });
  });

  it('refuses to run without the state of a finished pipeline, or a route it does not serve', async () => {
    const handler = dispatch([implement(view, async () => ({ body: { name: 'a' } }))], options);
    await expect(handler(testRequest().event, {} as never)).rejects.toThrow(/pipeline state missing/);
    await expect(handler(testRequest().event, { pipeline: state(lines) } as never)).rejects.toThrow(/no implementation/);
  });
});
