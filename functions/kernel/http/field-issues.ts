import { z } from 'zod';
import type { FieldIssue } from '../errors';

/**
 * Validation messages: every field error is one human sentence that names the field.
 *
 * Whose message an issue carries, zod decides: a message the schema's author wrote (`.min(1, '…')`,
 * `z.number('…')`, `.refine(…, '…')`, `ctx.addIssue({ message })`) outranks the error map a parse
 * is given, so `validateRequest` parses with `fieldErrorMap(location)` and exactly the issues
 * without an author message get our sentence. A `ZodError` from a parse without that map (a route
 * that parses on its own) still carries zod's default English text: `fieldIssues` recognises it (it
 * is what zod's locale writes for that issue) and writes our sentence instead.
 *
 * The rule for messages:
 * 1. Ours put the field first, in double quotes: `"name" is required.`, `"name" must be a string.`,
 *    `"limit" must be at most 100.`, `"email" must be a valid email address.`, `"type" must be one
 *    of: web, worker, database, cache.`; an unknown key is always one issue per key, `Unknown field
 *    "foo".` (`Unknown query parameter "foo".`, `Unknown path parameter "foo".`), whatever the schema says.
 * 2. The field is the last segment of the path, array indexes staying with the array they index:
 *    `spec.env.0.name` is `"env[0].name"`, `tags.2` is `"tags[2]"`. The issue's `path` keeps the
 *    full location (`body.spec.env.0.name`).
 * 3. An author message is kept, and made to name the field. A message that starts with a predicate
 *    (must, should, cannot, can, may, is, has, needs, contains, exceeds; "Not" becomes "is not") has
 *    no subject: the field becomes it (`Must be at least 1.` → `"limit" must be at least 1.`). Any
 *    other message that mentions the field (its name as a word, the words of a camelCase or
 *    snake_case name, or the last of those words, in any case: "The password …" mentions
 *    `newPassword`) stays as written (`A web service needs a port.`); one that does
 *    not follows the field and a colon (`Use lowercase letters and digits.` → `"name": Use lowercase
 *    letters and digits.`).
 * 4. A problem with the whole value (an empty path) names the location: `The request body is
 *    required.`, `The query string must be an object.`
 * 5. Every message ends with exactly one full stop (trailing stops, other punctuation and blanks
 *    are folded into it).
 */

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;
type Path = readonly PropertyKey[];

/** Zod's own English messages, to recognise an issue that no author and no error map worded. */
const english = z.locales.en().localeError;
const ZOD_INVALID_TYPE = /^Invalid input: expected \S+, received \S+$/;
const RECEIVED_UNDEFINED = /received undefined$/;

/**
 * The error map of a request part (`body`, `query`, `params`): our sentence for every issue that
 * carries no author message. Never throws: on any surprise zod's own message stands.
 */
export function fieldErrorMap(location = ''): z.core.$ZodErrorMap {
  return (issue) => {
    try {
      const path = issue.path ?? [];
      if (issue.code === 'unrecognized_keys') return unknownKeys(location, path, issue.keys);
      return sentence(location, path, predicate(issue, missingInRaw(issue)));
    } catch {
      return undefined;
    }
  };
}

/** Turns zod issues into per-field messages (see the module comment); an unknown key becomes one issue per key. */
export function fieldIssues(location: string, error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(segmentText)].filter((s) => s !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [base, key].filter((s) => s !== '').join('.'), message: unknownKeys(location, issue.path, [key]) }));
    }
    const message = isZodDefault(issue) ? sentence(location, issue.path, predicate(issue, missingInDefault(issue))) : authored(location, issue.path, issue.message);
    return [{ path: base, message }];
  });
}

/** Objects refuse unknown keys: a request carries exactly what its route declares. */
export const strict = (schema: z.ZodType | undefined): z.ZodType | undefined =>
  schema instanceof z.ZodObject ? (schema as z.ZodObject).strict() : schema;

/** How a field is named in a message: `name`, `env[0].name`, `tags[2]`; undefined for the whole value. */
export function fieldLabel(path: Path): string | undefined {
  const segments = [...path];
  if (segments.length === 0) return undefined;
  const last = segments.at(-1);
  const name = typeof last === 'number' ? undefined : segmentText(segments.pop()!);
  let indexes = '';
  while (typeof segments.at(-1) === 'number') indexes = `[${String(segments.pop())}]${indexes}`;
  if (indexes === '') return name;
  const owner = segments.length > 0 ? segmentText(segments.at(-1)!) : '';
  return `${owner}${indexes}${name === undefined ? '' : `.${name}`}`;
}

const segmentText = (segment: PropertyKey): string => (typeof segment === 'symbol' ? (segment.description ?? '') : String(segment));

/** What a message calls the value at `path`: the quoted field, or the request part itself. */
function subject(location: string, path: Path): string {
  const label = fieldLabel(path);
  if (label !== undefined) return `"${label}"`;
  if (location === 'body') return 'The request body';
  if (location === 'query') return 'The query string';
  if (location === 'params') return 'The path parameters';
  return location === '' ? 'The value' : `"${location}"`;
}

const sentence = (location: string, path: Path, predicateText: string): string => fullStop(`${subject(location, path)} ${predicateText}`);

function unknownKeys(location: string, path: Path, keys: readonly string[]): string {
  const noun = location === 'query' ? 'query parameter' : location === 'params' ? 'path parameter' : 'field';
  const names = keys.map((key) => `"${fieldLabel([...path, key])}"`);
  return fullStop(names.length === 1 ? `Unknown ${noun} ${names[0]}` : `Unknown ${noun}s ${andList(names)}`);
}

/** Ends a message with exactly one full stop. */
const fullStop = (text: string): string => `${text.trim().replace(/[\s.;:,!?]+$/u, '')}.`;

/** Zod's default text for this issue, so neither an author nor an error map worded it. */
function isZodDefault(issue: Issue): boolean {
  if (issue.code === 'invalid_type' && ZOD_INVALID_TYPE.test(issue.message)) return true;
  const candidates = [z.config().localeError, english];
  return issue.message === 'Invalid input' || candidates.some((locale) => locale !== undefined && worded(locale, issue) === issue.message);
}

function worded(locale: z.core.$ZodErrorMap, issue: Issue): string | undefined {
  try {
    return unwrap(locale(issue as unknown as RawIssue));
  } catch {
    return undefined;
  }
}

const unwrap = (message: ReturnType<z.core.$ZodErrorMap>): string | undefined => (typeof message === 'string' ? message : (message?.message ?? undefined));

/** Whether the value was absent, from the raw issue (it has the input). */
function missingInRaw(issue: RawIssue): boolean {
  if (issue.code === 'invalid_union' && typeof issue.discriminator === 'string') {
    const input = issue.input;
    return typeof input === 'object' && input !== null && (input as Record<string, unknown>)[issue.discriminator] === undefined;
  }
  return issue.input === undefined;
}

/** Whether the value was absent, from a finalized issue with zod's default text (it lost the input, not the text). */
function missingInDefault(issue: Issue): boolean {
  if (issue.code === 'invalid_type') return RECEIVED_UNDEFINED.test(issue.message);
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    return issue.errors.every((option) => option.some((inner) => inner.path.length === 0 && inner.code === 'invalid_type' && RECEIVED_UNDEFINED.test(inner.message)));
  }
  return false;
}

/** An author's message, readable on its own (rule 3). */
function authored(location: string, path: Path, message: string): string {
  const text = message.trim();
  const label = fieldLabel(path);
  if (text === '') return sentence(location, path, 'is invalid');
  if (label === undefined) return fullStop(text);
  const predicateStart = PREDICATE.exec(text);
  if (predicateStart) {
    const rest = text.slice(predicateStart[0].length);
    const verb = predicateStart[0].toLowerCase() === 'not' ? 'is not' : predicateStart[0].toLowerCase();
    return fullStop(`"${label}" ${verb}${rest}`);
  }
  if (mentions(text, path)) return fullStop(text);
  return fullStop(`"${label}": ${text.charAt(0).toUpperCase()}${text.slice(1)}`);
}

const PREDICATE = /^(?:must|should|cannot|can't|can|may|is|isn't|has|needs|contains|exceeds|not)(?=\s|$)/i;

/**
 * Whether a message names the field (its last named segment) as a word, in any case: the name
 * (`healthCheckPath`), its words ("health check path"), or the last of them, the noun the others
 * qualify ("The password …" names `newPassword`).
 */
function mentions(text: string, path: Path): boolean {
  const named = [...path].reverse().find((segment) => typeof segment !== 'number');
  if (named === undefined) return false;
  const name = segmentText(named);
  if (name === '') return false;
  const words = name
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .split(/[_\-\s]+/)
    .filter((word) => word !== '');
  const variants = [name, words.join(' '), words.at(-1) ?? name];
  return variants.some((variant) => new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(variant)}(?![\\p{L}\\p{N}_])`, 'iu').test(text));
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The rest of the sentence after the field: "is required", "must be a string", …, without the full stop. */
function predicate(issue: Issue | RawIssue, missing: boolean): string {
  switch (issue.code) {
    case 'invalid_type':
      if (missing || issue.expected === 'nonoptional') return 'is required';
      if (issue.expected === 'undefined' || issue.expected === 'void' || issue.expected === 'never') return 'is not allowed';
      return `must be ${typeNoun(String(issue.expected))}`;
    case 'too_small':
      return sizePredicate('min', issue.origin, issue.minimum, issue.inclusive === true, issue.exact === true);
    case 'too_big':
      return sizePredicate('max', issue.origin, issue.maximum, issue.inclusive === true, issue.exact === true);
    case 'invalid_format':
      return formatPredicate(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_value': {
      const allowed = valuesPredicate(issue.values);
      return missing ? `is required and ${allowed}` : allowed;
    }
    case 'invalid_union':
      return unionPredicate(issue, missing);
    case 'invalid_key': {
      const inner = issue.issues[0];
      if (issue.origin !== 'record') return 'has an invalid key';
      return inner ? `is not an allowed key; keys ${predicate(inner, false)}` : 'is not an allowed key';
    }
    case 'invalid_element':
      return 'holds an invalid value';
    case 'unrecognized_keys':
      return `must not hold ${andList(issue.keys.map((key) => `"${key}"`))}`;
    default:
      return 'is invalid';
  }
}

const TYPE_NOUNS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  bigint: 'an integer',
  symbol: 'a symbol',
  null: 'null',
  date: 'a date',
  array: 'an array',
  tuple: 'an array',
  object: 'an object',
  record: 'an object',
  map: 'a map',
  set: 'a set',
  file: 'a file',
  nan: 'NaN',
  function: 'a function',
  promise: 'a promise',
};

const typeNoun = (expected: string): string => TYPE_NOUNS[expected] ?? `a value of type ${expected}`;

const SIZE_UNITS: Readonly<Record<string, readonly [string, string]>> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
  map: ['entry', 'entries'],
  record: ['entry', 'entries'],
  file: ['byte', 'bytes'],
};

function sizePredicate(bound: 'min' | 'max', origin: string, limit: number | bigint, inclusive: boolean, exact: boolean): string {
  const unit = SIZE_UNITS[origin];
  if (unit) {
    // Lengths are whole numbers: "more than 2" is "at least 3".
    const n = Number(limit) + (exact || inclusive ? 0 : bound === 'min' ? 1 : -1);
    const count = `${n} ${n === 1 ? unit[0] : unit[1]}`;
    const quantifier = exact ? 'exactly' : bound === 'min' ? 'at least' : 'at most';
    if (bound === 'min' && !exact && n === 1 && origin !== 'file') return 'must not be empty';
    if (origin === 'string') return `must be ${quantifier} ${count} long`;
    if (origin === 'file') return `must be ${quantifier} ${count}`;
    return `must have ${quantifier} ${count}`;
  }
  if (origin === 'date') {
    const when = Number.isFinite(Number(limit)) ? new Date(Number(limit)).toISOString() : String(limit);
    if (bound === 'min') return `must be ${inclusive ? 'on or after' : 'after'} ${when}`;
    return `must be ${inclusive ? 'on or before' : 'before'} ${when}`;
  }
  const n = String(limit);
  if (exact) return `must be exactly ${n}`;
  if (bound === 'min') return inclusive ? `must be at least ${n}` : `must be greater than ${n}`;
  return inclusive ? `must be at most ${n}` : `must be less than ${n}`;
}

const FORMATS: Readonly<Record<string, string>> = {
  email: 'must be a valid email address',
  url: 'must be a valid URL',
  emoji: 'must contain only emoji',
  uuid: 'must be a valid UUID',
  guid: 'must be a valid GUID',
  nanoid: 'must be a valid nanoid',
  cuid: 'must be a valid CUID',
  cuid2: 'must be a valid CUID2',
  ulid: 'must be a valid ULID',
  xid: 'must be a valid XID',
  ksuid: 'must be a valid KSUID',
  datetime: 'must be a date and time in ISO 8601 format, such as 2025-01-31T09:30:00Z',
  date: 'must be a date in the form YYYY-MM-DD',
  time: 'must be a time in the form HH:MM or HH:MM:SS',
  duration: 'must be an ISO 8601 duration, such as P1DT12H',
  ipv4: 'must be a valid IPv4 address',
  ipv6: 'must be a valid IPv6 address',
  mac: 'must be a valid MAC address',
  cidrv4: 'must be an IPv4 range in CIDR notation, such as 10.0.0.0/16',
  cidrv6: 'must be an IPv6 range in CIDR notation, such as 2001:db8::/32',
  base64: 'must be base64-encoded',
  base64url: 'must be base64url-encoded',
  json_string: 'must be valid JSON',
  e164: 'must be a phone number in E.164 format, such as +14155550123',
  credit_card: 'must be a valid card number',
  iban: 'must be a valid IBAN',
  jwt: 'must be a JSON Web Token',
  hostname: 'must be a valid host name',
  hex: 'must be hexadecimal',
  lowercase: 'must be in lower case',
  uppercase: 'must be in upper case',
  template_literal: 'is not in the expected format',
};

function formatPredicate(issue: Extract<Issue | RawIssue, { code: 'invalid_format' }>): string {
  const details = issue as { prefix?: unknown; suffix?: unknown; includes?: unknown; pattern?: unknown };
  switch (issue.format) {
    case 'starts_with':
      return `must start with "${String(details.prefix)}"`;
    case 'ends_with':
      return `must end with "${String(details.suffix)}"`;
    case 'includes':
      return `must contain "${String(details.includes)}"`;
    case 'regex':
      return typeof details.pattern === 'string' ? `must match the pattern ${details.pattern}` : 'is not in the expected format';
    default:
      return FORMATS[issue.format] ?? `must be a valid ${issue.format.replace(/_/g, ' ')}`;
  }
}

const valueText = (value: unknown): string => (typeof value === 'string' ? (value === '' ? '""' : value) : typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value)));

/** A value inside a sentence: a string quoted, so that it does not read as a word of it. */
const quotedValue = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : valueText(value));

/** `must be "web"` for one allowed value, `must be one of: web, worker` for several. */
function valuesPredicate(values: readonly unknown[]): string {
  if (values.length === 1) return `must be ${quotedValue(values[0])}`;
  return `must be one of: ${values.map(valueText).join(', ')}`;
}

function unionPredicate(issue: Extract<Issue | RawIssue, { code: 'invalid_union' }>, missing: boolean): string {
  if (issue.inclusive === false) return 'matches more than one of the allowed forms';
  const options = (issue as { options?: readonly unknown[] }).options;
  if (options && options.length > 0) return `${missing ? 'is required and ' : ''}${valuesPredicate(options)}`;
  if (missing) return 'is required';
  // Every option refused the value outright (its type or its value): say what the value may be.
  const alternatives = issue.errors.map((option) => {
    const refusal = option.find((inner) => inner.path.length === 0 && (inner.code === 'invalid_type' || inner.code === 'invalid_value'));
    if (refusal?.code === 'invalid_type') return typeNoun(String(refusal.expected));
    if (refusal?.code === 'invalid_value') return orList(refusal.values.map(quotedValue));
    return undefined;
  });
  if (alternatives.length > 0 && alternatives.every((a) => a !== undefined)) return `must be ${orList([...new Set(alternatives)])}`;
  return 'matches none of the allowed forms';
}

const orList = (items: readonly string[]): string => joinList(items, 'or');
const andList = (items: readonly string[]): string => joinList(items, 'and');
const joinList = (items: readonly string[], word: string): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`);
