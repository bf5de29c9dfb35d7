import type { MiddlewareObj } from '@middy/core';
import { z } from 'zod';
import { BadRequestError, ValidationError, type FieldIssue } from '../errors';
import type { ApiRequest } from './types';

/** Turns zod issues into per-field messages; an unknown key becomes one issue per key. */
export function fieldIssues(location: string, error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: `${base}.${key}`, message: 'Unknown field.' }));
    return [{ path: base, message: issue.message }];
  });
}

export const strict = (schema: z.ZodType | undefined): z.ZodType | undefined =>
  schema instanceof z.ZodObject ? (schema as z.ZodObject).strict() : schema;

/**
 * Validates path parameters, query string and body against the route's zod schemas. Unknown
 * fields are refused (strict objects), repeated query parameters too; all issues are reported at once.
 */
export const validateRequest = (): MiddlewareObj => {
  const before = (request: ApiRequest) => {
    const route = request.internal.route;
    if (!route) throw new Error('validateRequest needs a resolved route');
    const { event } = request;

    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
      if ((values?.length ?? 0) > 1) throw new BadRequestError(`Query parameter "${name}" must not be repeated.`);
    }

    const issues: FieldIssue[] = [];
    const check = (location: string, schema: z.ZodType | undefined, value: unknown, emptyValue: unknown) => {
      if (!schema) {
        const present = value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0);
        if (present) issues.push({ path: location, message: location === 'body' ? 'This endpoint takes no body.' : 'No parameters are accepted here.' });
        return emptyValue;
      }
      const result = strict(schema)!.safeParse(value ?? emptyValue);
      if (!result.success) {
        issues.push(...fieldIssues(location, result.error));
        return undefined;
      }
      return result.data;
    };

    const params = check('params', route.request?.params, event.pathParameters ?? {}, {});
    const query = check('query', route.request?.query, event.queryStringParameters ?? {}, {});
    const body = check('body', route.request?.body, request.internal.json, undefined);
    if (issues.length > 0) throw new ValidationError(issues);
    request.internal.input = { params: params as Record<string, unknown>, query: query as Record<string, unknown>, body };
  };
  return { before } as MiddlewareObj;
};

/** The route's path parameters, parsed strictly; for steps that run before full validation. */
export function parsePathParameters(request: ApiRequest): Record<string, unknown> {
  const schema = strict(request.internal.route?.request?.params);
  if (!schema) return {};
  const result = schema.safeParse(request.event.pathParameters ?? {});
  if (!result.success) throw new ValidationError(fieldIssues('params', result.error));
  return result.data as Record<string, unknown>;
}
