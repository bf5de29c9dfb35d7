import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import { parsePathParameters } from './path-parameters';
import { defineRoute } from './route';

const thing = defineRoute({
  id: 'getThing',
  method: 'GET',
  path: '/v1/things/{thingId}',
  domain: 'platform',
  summary: 'A thing',
  auth: { kind: 'public' },
  rateLimit: 'general',
  request: { params: z.object({ thingId: z.string().regex(/^t_[0-9]+$/) }) },
  success: { status: 200, description: 'ok', schema: z.object({}) },
});

const parse = (pathParameters: Record<string, string> | null, route = thing) => {
  const request = testRequest({ pathParameters }, { route });
  parsePathParameters().before!(request);
  return request.internal.params;
};

describe('parsePathParameters', () => {
  it('keeps the parsed parameters for the steps after it', () => {
    expect(parse({ thingId: 't_1' })).toEqual({ ok: true, params: { thingId: 't_1' } });
  });

  it('keeps the issues, per field, without throwing: validation reports them with the rest', () => {
    expect(parse({ thingId: 'nope' })).toMatchObject({ ok: false, issues: [{ path: 'params.thingId' }] });
    expect(parse({ thingId: 't_1', extra: 'x' })).toMatchObject({ ok: false, issues: [{ path: 'params.extra', message: 'Unknown path parameter "extra".' }] });
  });

  it('needs a resolved route', () => {
    expect(() => parsePathParameters().before!(testRequest())).toThrow(/after route resolution/);
  });
});
