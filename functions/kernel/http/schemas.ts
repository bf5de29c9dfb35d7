import { z } from 'zod';
import { Ids } from '../ids';

/** Schemas every domain's routes share: path parameters, versions, pages, empty bodies. */

/** The path parameters of every route inside an organization; routes deeper in it extend them. */
export const OrgParams = z.object({ orgId: Ids.org.schema });

/** How many items a page holds when the caller does not say, and at most. */
export const PageSize = { default: 50, max: 100 } as const;

/** A cursor as it travels: opaque, and bounded before it is decoded (storage checks it further). */
export const Cursor = z.string().min(1).max(2048);

/** The query of every paginated list: `?limit=` and the `?cursor=` of the previous page. */
export const PageQuery = z.object({
  cursor: Cursor.optional(),
  limit: z.coerce
    .number('Must be a number.')
    .int('Must be a whole number.')
    .min(1, 'Must be at least 1.')
    .max(PageSize.max, `Must be at most ${PageSize.max}.`)
    .default(PageSize.default),
});

/** A page of a list: the items under `name`, and the cursor of the next page when there is one. */
export const pageOf = <N extends string, T extends z.ZodType>(name: N, item: T) =>
  z.object({ [name]: z.array(item), cursor: z.string().optional() } as { [K in N]: z.ZodArray<T> } & { cursor: z.ZodOptional<z.ZodString> });

/**
 * Optimistic locking: every mutable resource shows its `version`, and a PATCH names in its body the
 * version it was based on. A body field rather than If-Match: it is validated and documented with
 * the rest of the request, and a client cannot forget it (it is required).
 */
export const Version = z.number('Give the version you read.').int().min(1);

/** The (empty) body of a 204, and of a route that answers nothing but its status. */
export const NoContent = z.object({});

/**
 * What no free-text field may hold: control characters (C0, DEL, C1: a line break in a name is a
 * header or a forged paragraph in the mail that shows it), bidirectional overrides and isolates
 * (text that reads differently than it is stored), and lone surrogates (not text at all: no
 * encoding, canonical JSON included, can carry them).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** A name or a description as people type it: trimmed, bounded, printable. */
export const FreeText = (options: { readonly max: number; readonly min?: number }) =>
  z
    .string()
    .trim()
    .min(options.min ?? 1, 'Must not be empty.')
    .max(options.max, `Must be at most ${options.max} characters.`)
    .refine((text) => !UNPRINTABLE.test(text), 'Must not contain control characters, bidirectional overrides or lone surrogates.');

/** What public routes about an address answer, whatever happened: `{"status": "…"}`. */
export const Accepted = z.object({ status: z.string() }).meta({ id: 'AcceptedStatus' });
