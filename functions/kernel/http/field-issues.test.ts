import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { fieldErrorMap, fieldIssues, fieldLabel, strict } from './field-issues';

/** Zod's jargon, which no message may show a client. */
const JARGON = /Invalid input|Invalid option|Invalid string|Invalid number|Too small|Too big|Unrecognized key|expected|received|>=|<=/;

/**
 * The issues of `value` as `path: message`, parsed both ways a ZodError reaches `fieldIssues`:
 * with the request error map (as `validateRequest` parses) and without it (a route that parses on
 * its own). Both must read the same, and end in exactly one full stop, free of zod's jargon.
 */
async function issuesOf(schema: z.ZodType, value: unknown, location = 'body'): Promise<string[]> {
  const mapped = await strict(schema)!.safeParseAsync(value, { error: fieldErrorMap(location) });
  const plain = await strict(schema)!.safeParseAsync(value);
  expect(mapped.success, 'the value is refused').toBe(false);
  const lines = (error: z.ZodError) => fieldIssues(location, error).map((i) => `${i.path}: ${i.message}`);
  const withMap = lines(mapped.error!);
  expect(lines(plain.error!), 'the same sentences without the error map').toEqual(withMap);
  for (const line of withMap) {
    expect(line).not.toMatch(JARGON);
    expect(line).toMatch(/[^.]\.$/);
  }
  return withMap;
}

const one = async (schema: z.ZodType, value: unknown, location = 'body') => {
  const issues = await issuesOf(schema, value, location);
  expect(issues).toHaveLength(1);
  return issues[0];
};

describe('fieldIssues: missing fields and wrong types (invalid_type)', () => {
  it('says a missing field is required, instead of zod\'s "expected string, received undefined"', async () => {
    expect(await one(z.object({ name: z.string() }), {})).toBe('body.name: "name" is required.');
    const raw = z.object({ name: z.string() }).safeParse({});
    expect(raw.error!.issues[0]!.message).toBe('Invalid input: expected string, received undefined');
    expect(fieldIssues('body', raw.error!)[0]!.message).toBe('"name" is required.');
  });

  it('names the type a field must have', async () => {
    const schema = z.object({ s: z.string(), n: z.number(), i: z.int(), b: z.boolean(), a: z.array(z.string()), o: z.object({}), big: z.bigint() });
    expect(await issuesOf(schema, { s: 1, n: 'x', i: 1.5, b: 'yes', a: 'x', o: [], big: 1 })).toEqual([
      'body.s: "s" must be a string.',
      'body.n: "n" must be a number.',
      'body.i: "i" must be a whole number.',
      'body.b: "b" must be true or false.',
      'body.a: "a" must be an array.',
      'body.o: "o" must be an object.',
      'body.big: "big" must be an integer.',
    ]);
  });

  it('treats null as a wrong type, not as a missing field', async () => {
    expect(await one(z.object({ name: z.string() }), { name: null })).toBe('body.name: "name" must be a string.');
  });

  it('names the request part when the whole value is missing or of the wrong type', async () => {
    expect(await one(z.object({ name: z.string() }), undefined)).toBe('body: The request body is required.');
    expect(await one(z.object({ name: z.string() }), 'text')).toBe('body: The request body must be an object.');
    expect(await one(z.object({ limit: z.string() }), 'x', 'query')).toBe('query: The query string must be an object.');
  });
});

describe('fieldIssues: sizes (too_small, too_big)', () => {
  it('counts characters of strings', async () => {
    const schema = z.object({ a: z.string().min(1), b: z.string().min(3), c: z.string().max(5), d: z.string().length(4), e: z.string().max(1) });
    expect(await issuesOf(schema, { a: '', b: 'ab', c: 'abcdef', d: 'abc', e: 'ab' })).toEqual([
      'body.a: "a" must not be empty.',
      'body.b: "b" must be at least 3 characters long.',
      'body.c: "c" must be at most 5 characters long.',
      'body.d: "d" must be exactly 4 characters long.',
      'body.e: "e" must be at most 1 character long.',
    ]);
  });

  it('bounds numbers, inclusive or not', async () => {
    const schema = z.object({ limit: z.number().max(100), min: z.number().min(1), pos: z.number().positive(), lt: z.number().lt(10) });
    expect(await issuesOf(schema, { limit: 101, min: 0, pos: 0, lt: 10 })).toEqual([
      'body.limit: "limit" must be at most 100.',
      'body.min: "min" must be at least 1.',
      'body.pos: "pos" must be greater than 0.',
      'body.lt: "lt" must be less than 10.',
    ]);
  });

  it('counts items of arrays', async () => {
    const schema = z.object({ none: z.array(z.string()).nonempty(), few: z.array(z.string()).min(2), many: z.array(z.string()).max(1) });
    expect(await issuesOf(schema, { none: [], few: ['a'], many: ['a', 'b'] })).toEqual([
      'body.none: "none" must not be empty.',
      'body.few: "few" must have at least 2 items.',
      'body.many: "many" must have at most 1 item.',
    ]);
  });

  it('says a number must be a multiple (not_multiple_of)', async () => {
    expect(await one(z.object({ step: z.number().multipleOf(5) }), { step: 7 })).toBe('body.step: "step" must be a multiple of 5.');
  });
});

describe('fieldIssues: formats (invalid_format)', () => {
  it('says what a well-formed value looks like', async () => {
    const schema = z.object({
      email: z.email(),
      url: z.url(),
      id: z.uuid(),
      at: z.iso.datetime(),
      day: z.iso.date(),
      ip: z.ipv4(),
      lower: z.string().lowercase(),
      prefixed: z.string().startsWith('p_'),
      suffixed: z.string().endsWith('.json'),
      holds: z.string().includes('@'),
      slug: z.string().regex(/^[a-z]+$/),
    });
    const value = { email: 'nope', url: 'nope', id: 'nope', at: 'nope', day: 'nope', ip: 'nope', lower: 'ABC', prefixed: 'x', suffixed: 'x', holds: 'x', slug: 'A' };
    expect(await issuesOf(schema, value)).toEqual([
      'body.email: "email" must be a valid email address.',
      'body.url: "url" must be a valid URL.',
      'body.id: "id" must be a valid UUID.',
      'body.at: "at" must be a date and time in ISO 8601 format, such as 2025-01-31T09:30:00Z.',
      'body.day: "day" must be a date in the form YYYY-MM-DD.',
      'body.ip: "ip" must be a valid IPv4 address.',
      'body.lower: "lower" must be in lower case.',
      'body.prefixed: "prefixed" must start with "p_".',
      'body.suffixed: "suffixed" must end with ".json".',
      'body.holds: "holds" must contain "@".',
      'body.slug: "slug" must match the pattern /^[a-z]+$/.',
    ]);
  });
});

describe('fieldIssues: allowed values (invalid_value, invalid_union)', () => {
  it('lists the values of an enum, and a single literal quoted', async () => {
    expect(await one(z.object({ type: z.enum(['web', 'worker', 'database', 'cache']) }), { type: 'db' })).toBe('body.type: "type" must be one of: web, worker, database, cache.');
    expect(await one(z.object({ kind: z.literal('web') }), { kind: 'db' })).toBe('body.kind: "kind" must be "web".');
    expect(await one(z.object({ cpu: z.literal([256, 512]) }), { cpu: 3 })).toBe('body.cpu: "cpu" must be one of: 256, 512.');
  });

  it('says a missing enum is required, with its values, when the request map saw the input', async () => {
    const result = z.object({ type: z.enum(['web', 'worker']) }).safeParse({}, { error: fieldErrorMap('body') });
    expect(fieldIssues('body', result.error!)).toEqual([{ path: 'body.type', message: '"type" is required and must be one of: web, worker.' }]);
  });

  it('names the alternatives of a union that refused the value outright', async () => {
    expect(await one(z.object({ v: z.union([z.string(), z.number()]) }), { v: true })).toBe('body.v: "v" must be a string or a number.');
    expect(await one(z.object({ v: z.union([z.literal('a'), z.number()]) }), { v: true })).toBe('body.v: "v" must be "a" or a number.');
    expect(await one(z.object({ v: z.union([z.string(), z.number()]) }), {})).toBe('body.v: "v" is required.');
    expect(await one(z.object({ v: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]) }), { v: { a: 1, b: 'x' } })).toBe(
      'body.v: "v" matches none of the allowed forms.',
    );
    expect(await one(z.object({ v: z.xor([z.string(), z.string().min(1)]) }), { v: 'a' })).toBe('body.v: "v" matches more than one of the allowed forms.');
  });

  it('reports a wrong discriminator on the discriminator field', async () => {
    const schema = z.object({ spec: z.discriminatedUnion('type', [z.object({ type: z.literal('web') }), z.object({ type: z.literal('worker') })]) });
    expect(await one(schema, { spec: { type: 'db' } })).toBe('body.spec.type: "type" must be one of: web, worker.');
  });
});

describe('fieldIssues: unknown keys (unrecognized_keys), records and maps', () => {
  it('reports every unknown key as its own issue, named', async () => {
    expect(await issuesOf(z.object({ name: z.string() }), { name: 'a', foo: 1, bar: 2 })).toEqual(['body.foo: Unknown field "foo".', 'body.bar: Unknown field "bar".']);
    expect(await issuesOf(z.object({ limit: z.string().optional() }), { verbose: '1' }, 'query')).toEqual(['query.verbose: Unknown query parameter "verbose".']);
    expect(await issuesOf(z.object({ orgId: z.string() }), { orgId: 'o', extra: 'x' }, 'params')).toEqual(['params.extra: Unknown path parameter "extra".']);
  });

  it('names an unknown key inside an array item with its index', async () => {
    const schema = z.object({ env: z.array(z.strictObject({ name: z.string() })) });
    expect(await one(schema, { env: [{ name: 'A', value: 'x' }] })).toBe('body.env.0.value: Unknown field "env[0].value".');
  });

  it('says which key of a record is not allowed (invalid_key)', async () => {
    expect(await one(z.object({ labels: z.record(z.string().max(3), z.string()) }), { labels: { long: 'x' } })).toBe(
      'body.labels.long: "long" is not an allowed key; keys must be at most 3 characters long.',
    );
  });

  it('says a map holds an invalid value (invalid_element)', async () => {
    expect(await one(z.object({ m: z.map(z.object({}), z.number()) }), { m: new Map([[{}, 'x']]) })).toBe('body.m: "m" holds an invalid value.');
  });
});

describe('fieldIssues: refinements (custom) and author messages', () => {
  it('says a refinement without a message refused the field', async () => {
    expect(await one(z.object({ code: z.string().refine(() => false) }), { code: 'x' })).toBe('body.code: "code" is invalid.');
  });

  it('keeps an author message, the field as the subject of a predicate', async () => {
    const schema = z.object({
      limit: z.number('Must be a number.').max(100, 'Must be at most 100.'),
      orgId: z.string().regex(/^o_/, 'Not an organization id.'),
      port: z.number().min(1024, 'must be 1024 or higher; listen on a port such as 8080'),
    });
    expect(await issuesOf(schema, { limit: 101, orgId: 'x', port: 80 })).toEqual([
      'body.limit: "limit" must be at most 100.',
      'body.orgId: "orgId" is not an organization id.',
      'body.port: "port" must be 1024 or higher; listen on a port such as 8080.',
    ]);
    // The author's type message covers the missing field too: zod gives it precedence.
    expect(await one(schema.pick({ limit: true }), {})).toBe('body.limit: "limit" must be a number.');
  });

  it('keeps an author sentence that mentions the field as written, and puts the field before one that does not', async () => {
    const schema = z
      .object({ type: z.string(), port: z.number().optional(), version: z.number('Give the version you read.'), healthCheckPath: z.string().optional() })
      .superRefine((spec, ctx) => {
        if (spec.port === undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'A web service needs a port.' });
        ctx.addIssue({ code: 'custom', path: ['healthCheckPath'], message: 'Only a web service takes a health check path' });
        ctx.addIssue({ code: 'custom', path: ['type'], message: 'too exotic..' });
      });
    expect(await issuesOf(schema, { type: 'x', version: 1 })).toEqual([
      'body.port: A web service needs a port.',
      'body.healthCheckPath: Only a web service takes a health check path.',
      'body.type: "type": Too exotic.',
    ]);
    expect(await one(schema, { type: 'x', port: 1 })).toBe('body.version: Give the version you read.');
    const change = z.object({ newPassword: z.string().refine(() => false, 'The password must be at least 12 characters long.') });
    expect(await one(change, { newPassword: 'x' })).toBe('body.newPassword: The password must be at least 12 characters long.');
    expect(await one(z.object({ name: z.string().regex(/^[a-z0-9]+$/, 'Use lowercase letters and digits.') }), { name: 'A' })).toBe(
      'body.name: "name": Use lowercase letters and digits.',
    );
  });

  it('keeps a message about the whole value (an empty path) as written, with one full stop', async () => {
    const schema = z.object({ image: z.string().optional(), github: z.string().optional() }).refine((s) => (s.image === undefined) !== (s.github === undefined), 'Give exactly one of image or github;');
    expect(await one(schema, {})).toBe('body: Give exactly one of image or github.');
  });
});

describe('fieldLabel', () => {
  it('is the last segment, array indexes staying with their array', () => {
    expect(fieldLabel(['name'])).toBe('name');
    expect(fieldLabel(['spec', 'env', 0, 'name'])).toBe('env[0].name');
    expect(fieldLabel(['tags', 2])).toBe('tags[2]');
    expect(fieldLabel(['matrix', 0, 1])).toBe('matrix[0][1]');
    expect(fieldLabel([0])).toBe('[0]');
    expect(fieldLabel([])).toBeUndefined();
  });

  it('keeps the full path in the issue', async () => {
    const schema = z.object({ spec: z.object({ env: z.array(z.object({ name: z.string() })) }) });
    expect(await one(schema, { spec: { env: [{ name: 'A' }, {}] } })).toBe('body.spec.env.1.name: "env[1].name" is required.');
  });
});

describe('ValidationError message', () => {
  it('joins the issues with no ".;" and no doubled full stop', () => {
    const error = new ValidationError([
      { path: 'body.name', message: '"name" is required.' },
      { path: 'body.password', message: '"password" must be at least 12 characters long.' },
      { path: 'body.dotenv', message: 'line 3: expected NAME=value' },
    ]);
    expect(error.message).toBe(
      'Request validation failed: body.name: "name" is required. body.password: "password" must be at least 12 characters long. body.dotenv: line 3: expected NAME=value.',
    );
    expect(error.message).not.toContain('.;');
    expect(error.message).not.toContain('..');
  });

  it('shows at most 10 issues and counts the rest', () => {
    const issues = Array.from({ length: 13 }, (_, i) => ({ path: `body.f${i}`, message: `"f${i}" is required.` }));
    const message = new ValidationError(issues).message;
    expect(message).toContain('body.f9: "f9" is required. And 3 more issues.');
    expect(message).not.toContain('f10');
    expect(new ValidationError(issues.slice(0, 11)).message).toMatch(/ And 1 more issue\.$/);
  });
});
