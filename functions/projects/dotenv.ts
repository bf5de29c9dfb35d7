/**
 * A `.env` file parser for importing environment variables. It takes the common subset of the
 * format, one variable a line:
 *
 *   # a comment           blank lines and comment lines are skipped
 *   KEY=value             unquoted: trimmed; ` #` starts a trailing comment
 *   export KEY=value      an `export ` prefix is ignored
 *   KEY='raw $value'      single quotes: taken literally, no escapes
 *   KEY="a\nb \"c\""      double quotes: escapes \n \r \t \\ \" \$
 *
 * Anything else is refused with its line number rather than guessed at: an import applies all of a
 * file or none of it, so an ambiguous line must stop it. Values span one line (a multi-line value,
 * e.g. a PEM key, is written with `\n` in double quotes). A name given twice is refused too.
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

type ValueResult = { ok: true; value: string } | { ok: false; message: string };

function parseDoubleQuoted(rest: string): ValueResult {
  let value = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '"') {
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

function parseSingleQuoted(rest: string): ValueResult {
  const end = rest.indexOf("'");
  if (end < 0) return { ok: false, message: 'unterminated single-quoted value' };
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
  if (raw.startsWith("'")) return parseSingleQuoted(raw.slice(1));
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
