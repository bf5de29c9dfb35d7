/**
 * A `.env` file parser for importing environment variables. It takes the common subset of the
 * format, one variable a line. Where it accepts a line it gives the value `dotenv`'s `parse` gives
 * (the format users write for), but for two cases: `a#b` keeps its `#`, and double quotes also
 * decode \t \\ \" \$, which dotenv leaves as written (see dotenv.reference.test.ts).
 *
 *   # a comment           blank lines and comment lines are skipped
 *   KEY=value             unquoted: trimmed; ` #` starts a trailing comment
 *   export KEY=value      an `export ` prefix is ignored
 *   KEY='raw $value'      single quotes (or backticks): taken literally, no escapes
 *   KEY="a\nb \"c\""      double quotes: escapes \n \r \t \\ \" \$
 *
 * Ours rather than `dotenv.parse`, because that skips lines it cannot read and lets a later
 * duplicate win: an import applies all of a file or none of it, so every ambiguous line is refused
 * with its line number, as is a name given twice. Values span one line (a multi-line value, e.g. a
 * PEM key, is written with `\n` in double quotes).
 */

export interface DotenvEntry {
  readonly name: string;
  readonly value: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

export interface DotenvIssue {
  readonly line: number;
  readonly message: string;
}

export type DotenvResult = { readonly ok: true; readonly entries: DotenvEntry[] } | { readonly ok: false; readonly issues: DotenvIssue[] };

const ASSIGNMENT = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/;
const DOUBLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };
/** What may follow a closing quote: spaces, then optionally a comment. */
const AFTER_QUOTE = /^[ \t]*(?:#.*)?$/;
/** dotenv takes a backslash before a quote as an escape and runs on to a later quote, lines further if need be. */
const BACKSLASH_BEFORE_CLOSE = { ok: false, message: 'a backslash right before the closing quote' } as const;

type ValueResult = { ok: true; value: string } | { ok: false; message: string };

function parseDoubleQuoted(rest: string): ValueResult {
  let value = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '"') {
      if (rest[i - 1] === '\\') return BACKSLASH_BEFORE_CLOSE;
      return AFTER_QUOTE.test(rest.slice(i + 1)) ? { ok: true, value } : { ok: false, message: 'unexpected text after the closing quote' };
    }
    if (c === '\\') {
      const escaped = DOUBLE_QUOTE_ESCAPES[rest[i + 1] ?? ''];
      if (escaped === undefined) return { ok: false, message: 'unknown escape sequence in a double-quoted value' };
      value += escaped;
      i++;
      continue;
    }
    value += c;
  }
  return { ok: false, message: 'unterminated double-quoted value' };
}

/** Single quotes and backticks: everything up to the next same quote, as written. */
function parseLiteralQuoted(rest: string, quote: "'" | '`'): ValueResult {
  const end = rest.indexOf(quote);
  if (end < 0) return { ok: false, message: 'unterminated quoted value' };
  if (rest[end - 1] === '\\') return BACKSLASH_BEFORE_CLOSE;
  return AFTER_QUOTE.test(rest.slice(end + 1)) ? { ok: true, value: rest.slice(0, end) } : { ok: false, message: 'unexpected text after the closing quote' };
}

function parseUnquoted(raw: string): ValueResult {
  const comment = /(?:^|[ \t])#/.exec(raw);
  const value = (comment ? raw.slice(0, comment.index) : raw).trim();
  if (value.includes('"') || value.includes("'")) return { ok: false, message: 'a quote inside an unquoted value (quote the whole value)' };
  return { ok: true, value };
}

function parseValue(raw: string): ValueResult {
  if (raw.startsWith('"')) return parseDoubleQuoted(raw.slice(1));
  if (raw.startsWith("'")) return parseLiteralQuoted(raw.slice(1), "'");
  if (raw.startsWith('`')) return parseLiteralQuoted(raw.slice(1), '`');
  return parseUnquoted(raw);
}

/**
 * Parses a `.env` file; every malformed line is reported with its number, and nothing is returned
 * unless the whole file is well formed.
 * @example parseDotenv('export API_URL="https://api.example"\n# comment\nDEBUG=1')
 */
export function parseDotenv(text: string): DotenvResult {
  const entries: DotenvEntry[] = [];
  const issues: DotenvIssue[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = ASSIGNMENT.exec(trimmed);
    if (!match) {
      issues.push({ line, message: 'expected NAME=value' });
      return;
    }
    const name = match[1]!;
    const value = parseValue(match[2]!);
    if (!value.ok) {
      issues.push({ line, message: value.message });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      issues.push({ line, message: `${name} is already set on line ${first}` });
      return;
    }
    seen.set(name, line);
    entries.push({ name, value: value.value, line });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, entries };
}
