import { parse as dotenvParse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from './dotenv';

// `dotenv`'s parse is the format users' files are written for: where ours accepts a file, it must
// read the same values, except for the two cases listed under "differs on purpose".

const ours = (text: string): Record<string, string> | 'refused' => {
  const result = parseDotenv(text);
  return result.ok ? Object.fromEntries(result.entries.map((e) => [e.name, e.value])) : 'refused';
};

describe('parseDotenv against dotenv.parse', () => {
  describe('reads what dotenv reads', () => {
    it.each([
      ['unquoted values', 'API_URL=https://api.example.com/v1\nDEBUG=1\nREGION=eu-west-1'],
      ['comments and blank lines', '# database\n\n   \nDB_HOST=localhost\n  # indented comment\nDB_PORT=5432\n'],
      ['an export prefix', 'export TOKEN=abc\n  export\tREGION=eu-west-1\nexport  SPACED=1'],
      ['spaces and tabs around the equals sign', 'A = 1\nB\t=\t2\nC= 3\nD =4'],
      ['empty values', 'EMPTY=\nQUOTED_EMPTY=""\nSINGLE_EMPTY=\'\'\nBACKTICK_EMPTY=``\nNEXT=x'],
      ['an empty value before a trailing comment', 'A= # not set yet\nB=#also empty'],
      ['unquoted values with inner spaces, trimmed', 'GREETING=  hello big world  \nTABBED=\tv\t'],
      ['a trailing comment after an unquoted value', 'LEVEL=info # or debug\nMODE=fast\t# tab before the hash'],
      ['values containing =', 'QUERY=a=b&c=d\nB64=YWJj==\nDSN=postgres://u:p@h:5432/db?sslmode=require'],
      ['URLs with query strings', 'CALLBACK=https://app.example/cb?next=/home&x=1'],
      ['# inside quotes', 'URL="postgres://u:p@h/db?a=b#c"\nCOLOR=\'#ff0000\'\nTAG=`#release`'],
      ['JSON in single quotes', 'CONFIG=\'{"retries":3,"hosts":["a","b"],"nested":{"k":"v # not a comment"}}\''],
      ['single quotes taken literally', "RAW='$HOME \\n \\t \\\\ \"quoted\" `tick`'"],
      ['backticks taken literally', 'RAW=`it\'s "x" \\n $y`'],
      ['spaces kept inside quotes', 'A=" padded "\nB=\' padded \'\nC=` padded `'],
      ['double quotes with \\n and \\r', 'PEM="-----BEGIN KEY-----\\nMIIB\\nAQAB\\n-----END KEY-----"\nCRLF="a\\r\\nb"'],
      ['quotes of the other kinds inside double quotes', 'MSG="it\'s `fine`"'],
      ['a comment after a closing quote', 'A="x" # note\nB=\'y\'#tight\nC=`z`\t# tab'],
      ['spaces after a closing quote', 'A="x"   \nB=\'y\'\t'],
      ['non-ASCII values', 'CITY=Zürich\nGREETING="こんにちは 😀"\nEURO=\'€\''],
      ['backslashes in unquoted values', 'WIN_PATH=C:\\Users\\ada\nREGEX=^a\\d+$'],
      ['$ and braces left alone', 'REF=${OTHER}\nPRICE=$5'],
      ['lower-case and underscored names', 'lower=1\n_PRIVATE=2\nMIXED_case9=3\nexport=4'],
      ['CRLF line endings', 'A=1\r\nB="two"\r\n# c\r\nC=\'3\'\r\n'],
      ['a byte-order mark', '\uFEFFA=1\nB=2'],
      ['a file without a trailing newline', 'ONLY=value'],
      ['an empty file', ''],
    ])('%s', (_label, text) => {
      const result = ours(text);
      expect(result).not.toBe('refused');
      expect(result).toEqual(dotenvParse(text));
    });
  });

  describe('differs on purpose', () => {
    // Existing behaviour that users of this importer rely on; dotenv reads these differently.
    it.each([
      ['a # inside an unquoted word (dotenv starts a comment there)', 'COLOR=a#b', 'a#b', 'a'],
      ['an unquoted URL with a fragment', 'URL=https://h.example/docs#top', 'https://h.example/docs#top', 'https://h.example/docs'],
      ['\\t in double quotes (dotenv expands only \\n and \\r)', 'A="a\\tb"', 'a\tb', 'a\\tb'],
      ['\\\\ in double quotes', 'A="C:\\\\dir"', 'C:\\dir', 'C:\\\\dir'],
      ['\\" in double quotes', 'A="say \\"hi\\""', 'say "hi"', 'say \\"hi\\"'],
      ['\\$ in double quotes', 'A="\\$HOME"', '$HOME', '\\$HOME'],
      ['\\\\n in double quotes (a backslash, then n)', 'A="a\\\\nb"', 'a\\nb', 'a\\\nb'],
    ])('%s', (_label, text, oursValue, dotenvValue) => {
      const name = text.slice(0, text.indexOf('='));
      expect(ours(text)).toEqual({ [name]: oursValue });
      expect(dotenvParse(text)).toEqual({ [name]: dotenvValue });
    });
  });

  describe('refuses what dotenv would silently drop or reinterpret', () => {
    it.each([
      ['a name given twice (dotenv: the later wins)', 'A=1\nA=2', { A: '2' }],
      ['a line without an equals sign (dotenv: dropped)', 'A=1\nJUST_A_NAME', { A: '1' }],
      ['an export without an assignment (dotenv: dropped)', 'export B', {}],
      ['a name that starts with a digit', '1ABC=2', { '1ABC': '2' }],
      ['a name with a dot or a dash', 'A.B=1\nC-D=2', { 'A.B': '1', 'C-D': '2' }],
      ['a YAML-style colon', 'A: 1', { A: '1' }],
      ['text after a closing quote (dotenv: keeps the quotes)', 'B="x" y', { B: '"x" y' }],
      ['a stray quote in an unquoted value', "B=it's", { B: "it's" }],
      ['an unknown escape (dotenv: kept as written)', 'B="\\q"', { B: '\\q' }],
      ['an unterminated double quote (dotenv: keeps the quote)', 'B="open', { B: '"open' }],
      ['an unterminated single quote', "B='open", { B: "'open" }],
      ['a value over several lines', 'A="multi\nline"', { A: 'multi\nline' }],
      ['a lone CR as a line break', 'A=x\rB=2', { A: 'x', B: '2' }],
      ['an escaped single quote (no escapes in single quotes)', "A='it\\'s'", { A: "it\\'s" }],
      ['a backslash before a closing quote (dotenv: runs on to a later quote)', "A='a\\'\nB=x'", { A: "a\\'\nB=x" }],
    ])('%s', (_label, text, dotenvResult) => {
      expect(ours(text)).toBe('refused');
      expect(dotenvParse(text)).toEqual(dotenvResult);
    });
  });

  describe('random files', () => {
    /** A small deterministic PRNG (mulberry32), so a failure reproduces. */
    const prng = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };

    it('reads the same values as dotenv wherever it accepts a file, but for the two cases above', () => {
      const random = prng(8785);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const text = (atoms: readonly string[], max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(atoms)).join('');
      const common = ['a', 'Z', '9', '_', '-', '.', ':', '/', '=', '#', ' ', ' # ', '$', '{', '}', ',', 'é', '😀', '@', '?', '&'];
      const values = {
        unquoted: () => pick(['', 'v', 'x1']) + text([...common, '\t', '\\', '`', "'", '"'], 8),
        single: () => `'${text([...common, '\\', '"', '`', '\\n'], 8)}'`,
        backtick: () => `\`${text([...common, '\\', '"', "'", '\\n'], 8)}\``,
        double: () => `"${text([...common, "'", '`', '\\n', '\\r', '\\n', '\\t', '\\\\', '\\"', '\\$'], 8)}"`,
      };
      const after = ['', '', ' ', '\t', ' # note', '#c', '  #  it\'s "x"', ' junk'];
      let compared = 0;
      for (let file = 0; file < 3000; file++) {
        const lines: string[] = [];
        const lineCount = 1 + Math.floor(random() * 5);
        for (let n = 0; n < lineCount; n++) {
          if (random() < 0.15) lines.push(pick(['# a comment', '', '   ', "  # it's \"quoted\" = x"]));
          const kind = pick(['unquoted', 'single', 'backtick', 'double'] as const);
          const value = values[kind]() + (kind === 'unquoted' ? '' : pick(after));
          lines.push(`${pick(['', ' ', 'export ', 'export\t'])}K${n}${pick(['=', ' =', '= ', ' = ', '\t=\t'])}${value}`);
        }
        const source = (random() < 0.1 ? '\uFEFF' : '') + lines.join(pick(['\n', '\r\n'])) + pick(['', '\n']);
        const result = parseDotenv(source);
        if (!result.ok) continue;
        const reference = dotenvParse(source);
        expect(Object.keys(reference).sort(), source).toEqual(result.entries.map((e) => e.name).sort());
        for (const { name, value, line } of result.entries) {
          const raw = source.replace(/^\uFEFF/, '').split(/\r?\n/)[line - 1]!;
          const rawValue = raw.slice(raw.indexOf('=') + 1).trimStart();
          if (rawValue.startsWith('"') && /\\[t\\"$]/.test(rawValue)) continue; // dotenv keeps these escapes as written
          // dotenv ends an unquoted value at its first #, even inside a word.
          const expected = /^["'`]/.test(rawValue) ? value : value.split('#')[0]!.trim();
          expect(reference[name], JSON.stringify(raw)).toBe(expected);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(2000); // the corpus is not mostly refused
    });
  });
});
