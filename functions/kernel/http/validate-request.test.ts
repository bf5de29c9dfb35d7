import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRequest } from '../../../test/support/api-request';
import { ValidationError } from '../errors';
import type { ParsedParams } from './types';
import { defineRoute } from './route';
import { validateRequest } from './validate-request';

/** A refinement that answers later, as a password policy that looks a password up would. */
const notTaken = z.string().refine(async (name) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return name !== 'taken';
}, 'Must not be taken.');

const create = defineRoute({
  id: 'createThing',
  method: 'POST',
  path: '/v1/things/{thingId}',
  domain: 'platform',
  summary: 'Creates a thing',
  auth: { kind: 'public' },
  rateLimit: 'general',
  request: {
    params: z.object({ thingId: z.string() }),
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: z.object({ name: notTaken, size: z.number().int().max(10), email: z.email() }),
  },
  success: { status: 201, description: 'ok', schema: z.object({}) },
});

const health = defineRoute({
  id: 'health',
  method: 'GET',
  path: '/v1/health',
  domain: 'platform',
  summary: 'Health',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: { status: 200, description: 'ok', schema: z.object({}) },
});

async function validate(input: { query?: Record<string, string>; json?: unknown; params?: ParsedParams; route?: typeof create | typeof health }) {
  const request = testRequest(
    { queryStringParameters: input.query ?? null, pathParameters: input.route === health ? null : { thingId: 't_1' } },
    { route: input.route ?? create, params: input.params ?? { ok: true, params: { thingId: 't_1' } }, json: input.json },
  );
  try {
    await validateRequest().before!(request);
    return { input: request.internal.input };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { error };
  }
}

describe('validateRequest', () => {
  it('runs async refinements and passes the parsed input on', async () => {
    const ok = await validate({ json: { name: 'fresh', size: 2, email: 'a@example.com' }, query: { dryRun: 'true' } });
    expect(ok.input).toEqual({ params: { thingId: 't_1' }, query: { dryRun: 'true' }, body: { name: 'fresh', size: 2, email: 'a@example.com' } });
    const refused = await validate({ json: { name: 'taken', size: 2, email: 'a@example.com' } });
    expect(refused.error?.issues).toEqual([{ path: 'body.name', message: '"name" must not be taken.' }]);
  });

  it('reports the issues of path parameters, query and body at once, each a sentence naming its field', async () => {
    const { error } = await validate({
      params: { ok: false, issues: [{ path: 'params.thingId', message: '"thingId" is not a thing id.' }] },
      query: { dryRun: 'maybe', verbose: '1' },
      json: { name: 'taken', size: 11.5, extra: true },
    });
    // Parts in order (params, query, body); within the body, an async refinement reports when it answers.
    expect(error?.issues.slice(0, 3)).toEqual([
      { path: 'params.thingId', message: '"thingId" is not a thing id.' },
      { path: 'query.dryRun', message: '"dryRun" must be one of: true, false.' },
      { path: 'query.verbose', message: 'Unknown query parameter "verbose".' },
    ]);
    expect([...(error?.issues.slice(3) ?? [])].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'body.email', message: '"email" is required.' },
      { path: 'body.extra', message: 'Unknown field "extra".' },
      { path: 'body.name', message: '"name" must not be taken.' },
      { path: 'body.size', message: '"size" must be a whole number.' },
    ]);
    expect(error?.message).toMatch(/^Request validation failed: params\.thingId: "thingId" is not a thing id\. query\.dryRun: /);
    expect(error?.message).not.toMatch(/\.;|\.\.|Invalid input|expected/);
  });

  it('says a required body is missing, and refuses a body or parameters a route does not take', async () => {
    expect((await validate({ json: undefined })).error?.issues).toEqual([{ path: 'body', message: 'The request body is required.' }]);
    expect((await validate({ route: health, json: { a: 1 } })).error?.issues).toEqual([{ path: 'body', message: 'This endpoint takes no body.' }]);
  });
});
