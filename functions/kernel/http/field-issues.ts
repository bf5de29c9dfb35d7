import { z } from 'zod';
import type { FieldIssue } from '../errors';

/** Turns zod issues into per-field messages; an unknown key becomes one issue per key. */
export function fieldIssues(location: string, error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: `${base}.${key}`, message: 'Unknown field.' }));
    return [{ path: base, message: issue.message }];
  });
}

/** Objects refuse unknown keys: a request carries exactly what its route declares. */
export const strict = (schema: z.ZodType | undefined): z.ZodType | undefined =>
  schema instanceof z.ZodObject ? (schema as z.ZodObject).strict() : schema;
