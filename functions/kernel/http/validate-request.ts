import type { z } from 'zod';
import { BadRequestError, ValidationError, type FieldIssue } from '../errors';
import { fieldErrorMap, fieldIssues, strict } from './field-issues';
import type { ApiMiddleware, ApiRequest } from './types';

type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/** One error map per request part, worded for it (see `fieldErrorMap`). */
const errorMaps = { params: fieldErrorMap('params'), query: fieldErrorMap('query'), body: fieldErrorMap('body') } as const;

/**
 * Validates path parameters (as `parsePathParameters` parsed them), query string and body against
 * the route's zod schemas. Unknown fields are refused (strict objects), repeated query parameters
 * too. Schemas are parsed asynchronously, so they may hold async refinements; every issue of every
 * part is reported at once, each a sentence naming its field (see `fieldIssues`).
 */
export const validateRequest = (): ApiMiddleware => {
  const before = async (request: ApiRequest) => {
    const { route, params } = request.internal;
    if (!route || !params) throw new Error('validateRequest needs a resolved route and parsed path parameters');
    const { event } = request;

    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
      if ((values?.length ?? 0) > 1) throw new BadRequestError(`Query parameter "${name}" must not be repeated.`);
    }

    const check = async (location: keyof typeof errorMaps, schema: z.ZodType | undefined, value: unknown, emptyValue: unknown): Promise<Checked> => {
      if (!schema) {
        const present = value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0);
        if (!present) return { ok: true, value: emptyValue };
        return { ok: false, issues: [{ path: location, message: location === 'body' ? 'This endpoint takes no body.' : 'No parameters are accepted here.' }] };
      }
      const result = await strict(schema)!.safeParseAsync(value ?? emptyValue, { error: errorMaps[location] });
      return result.success ? { ok: true, value: result.data } : { ok: false, issues: fieldIssues(location, result.error) };
    };

    const [undeclared, query, body] = await Promise.all([
      // Path parameters the route does not declare (a resource without any) are refused like unknown fields.
      route.request?.params ? ({ ok: true, value: {} } as const) : check('params', undefined, event.pathParameters ?? {}, {}),
      check('query', route.request?.query, event.queryStringParameters ?? {}, {}),
      check('body', route.request?.body, request.internal.json, undefined),
    ]);
    const issues = [params, undeclared, query, body].flatMap((part) => (part.ok ? [] : part.issues));
    if (issues.length > 0 || !query.ok || !body.ok) throw new ValidationError(issues);
    request.internal.input = { params: params.ok ? params.params : {}, query: query.value as Record<string, unknown>, body: body.value };
  };
  return { before };
};
