import type { z } from 'zod';
import { BadRequestError, ValidationError, type FieldIssue } from '../errors';
import { fieldIssues, strict } from './field-issues';
import type { ApiMiddleware, ApiRequest } from './types';

/**
 * Validates path parameters (as `parsePathParameters` parsed them), query string and body against
 * the route's zod schemas. Unknown fields are refused (strict objects), repeated query parameters
 * too; all issues are reported at once.
 */
export const validateRequest = (): ApiMiddleware => {
  const before = (request: ApiRequest) => {
    const { route, params } = request.internal;
    if (!route || !params) throw new Error('validateRequest needs a resolved route and parsed path parameters');
    const { event } = request;

    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
      if ((values?.length ?? 0) > 1) throw new BadRequestError(`Query parameter "${name}" must not be repeated.`);
    }

    const issues: FieldIssue[] = params.ok ? [] : [...params.issues];
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

    // Path parameters the route does not declare (a resource without any) are refused like unknown fields.
    if (!route.request?.params) check('params', undefined, event.pathParameters ?? {}, {});
    const query = check('query', route.request?.query, event.queryStringParameters ?? {}, {});
    const body = check('body', route.request?.body, request.internal.json, undefined);
    if (issues.length > 0) throw new ValidationError(issues);
    request.internal.input = { params: params.ok ? params.params : {}, query: query as Record<string, unknown>, body };
  };
  return { before };
};
