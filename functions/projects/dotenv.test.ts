import { describe, expect, it } from 'vitest';
import { parseDotenv } from './dotenv';

const entries = (text: string) => {
  const result = parseDotenv(text);
  if (!result.ok) throw new Error(`expected a well-formed file, got issues on lines ${result.issues.map((i) => i.line).join(', ')}`);
  return result.entries.map(({ name, value }) => [name, value]);
};
const issueLines = (text: string) => {
  const result = parseDotenv(text);
  return result.ok ? [] : result.issues.map((i) => i.line);
};

describe('parseDotenv', () => {
  it('reads NAME=value lines, skipping blank lines and comments', () => {
    expect(entries('# settings\n\nAPI_URL=https://api.example\n   \nDEBUG=1\n')).toEqual([
      ['API_URL', 'https://api.example'],
      ['DEBUG', '1'],
    ]);
  });

  it('numbers lines from 1 and accepts CRLF line ends and a byte-order mark', () => {
    const result = parseDotenv('\uFEFFA=1\r\n\r\nB=2');
    expect(result).toEqual({ ok: true, entries: [{ name: 'A', value: '1', line: 1 }, { name: 'B', value: '2', line: 3 }] });
  });

  it('ignores an export prefix and spaces around the equals sign', () => {
    expect(entries('export TOKEN = abc\n  export\tREGION=eu-west-1')).toEqual([
      ['TOKEN', 'abc'],
      ['REGION', 'eu-west-1'],
    ]);
  });

  it('trims unquoted values and drops a trailing comment, but keeps a # inside a word', () => {
    expect(entries('A=  spaced value   # note\nB=a#b\nC=')).toEqual([
      ['A', 'spaced value'],
      ['B', 'a#b'],
      ['C', ''],
    ]);
  });

  it('takes single-quoted values literally', () => {
    expect(entries(String.raw`A='$HOME \n # not a comment' # comment`)).toEqual([['A', String.raw`$HOME \n # not a comment`]]);
  });

  it('takes backtick-quoted values literally, quotes and # inside included', () => {
    expect(entries("A=`it's \"x\" # y \\n` # comment\nB=``")).toEqual([
      ['A', `it's "x" # y \\n`],
      ['B', ''],
    ]);
  });

  it('decodes escapes in double-quoted values', () => {
    expect(entries(String.raw`PEM="-----BEGIN-----\nAAA\n-----END-----"` + '\n' + String.raw`Q="say \"hi\"\t\\ \$x" # done`)).toEqual([
      ['PEM', '-----BEGIN-----\nAAA\n-----END-----'],
      ['Q', 'say "hi"\t\\ $x'],
    ]);
  });

  it('keeps = signs and # inside quotes as part of the value', () => {
    expect(entries('URL="postgres://u:p@h/db?a=b#c"\nX=a=b')).toEqual([
      ['URL', 'postgres://u:p@h/db?a=b#c'],
      ['X', 'a=b'],
    ]);
  });

  it.each([
    ['a line without an equals sign', 'A=1\nJUST_A_NAME\n'],
    ['a name that is not an identifier', 'A=1\n1ABC=2'],
    ['an unterminated double quote', 'A=1\nB="open'],
    ['an unterminated single quote', "A=1\nB='open"],
    ['an unterminated backtick', 'A=1\nB=`open'],
    ['text after a closing backtick', 'A=1\nB=`x` y'],
    ['text after a closing quote', 'A=1\nB="x" y'],
    ['an unknown escape', 'A=1\nB="\\q"'],
    ['a backslash right before a closing single quote', "A=1\nB='C:\\dir\\'"],
    ['an escaped backslash right before a closing double quote', 'A=1\nB="C:\\\\dir\\\\"'],
    ['a stray quote in an unquoted value', 'A=1\nB=it\'s'],
    ['a name given twice', 'A=1\nA=2'],
    ['an export without an assignment', 'A=1\nexport B'],
  ])('refuses %s, naming its line', (_label, text) => {
    expect(issueLines(text)).toEqual([2]);
  });

  it('reports every malformed line, not only the first', () => {
    expect(issueLines('BAD\nA=1\nALSO BAD\nB="x')).toEqual([1, 3, 4]);
  });

  it('never puts a value into an issue message', () => {
    const result = parseDotenv('A="s3cr3t-canary\\q"\nB=s3cr3t-canary"');
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('s3cr3t-canary');
  });

  it('accepts an empty file as no variables', () => {
    expect(parseDotenv('')).toEqual({ ok: true, entries: [] });
  });
});
