import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The storage layer (`functions/kernel/storage/`) is the only code that speaks DynamoDB: table
 * names, expressions, key templates and index attributes. Everything else names entities, listings
 * and conditions (docs/data-model.md, "Storage vocabulary").
 */
const FUNCTIONS = resolve(import.meta.dirname, '../../functions');
const STORAGE = 'kernel/storage/';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The code of a module without its comments (which may show keys as documentation). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const FORBIDDEN: readonly (readonly [string, RegExp])[] = [
  ['a table name', /\bTableName\b/],
  ['an expression', /\b(?:Key)?(?:Condition|Update|Projection|Filter)Expression\b|ExpressionAttribute(?:Names|Values)/],
  ['an expression function', /\b(?:attribute_exists|attribute_not_exists|attribute_type|begins_with)\b/],
  ['a raw key prefix', /['"`][A-Z][A-Z0-9_]*#/],
  ['an index attribute', /\bgsi\d+(?:pk|sk)\b/],
  ['a DynamoDB client', /@aws-sdk\/(?:client-dynamodb|lib-dynamodb)/],
  ['a read-every-page loop', /\bwhile\s*\(\s*cursor\s*\)/],
];

describe('the storage boundary', () => {
  const outside = sourceFiles(FUNCTIONS)
    .map((path) => relative(FUNCTIONS, path))
    .filter((path) => !path.startsWith(STORAGE));

  it.each(FORBIDDEN)('keeps %s inside functions/kernel/storage', (_what, pattern) => {
    const offenders = outside.filter((path) => pattern.test(code(readFileSync(join(FUNCTIONS, path), 'utf8'))));
    expect(offenders).toEqual([]);
  });

  it('finds what it forbids when it is there', () => {
    expect(FORBIDDEN.every(([, pattern]) => !pattern.test(code("// TableName: 'x', 'MEMBER#'")))).toBe(true);
    const samples = ["TableName: ''", "ConditionExpression: 'a'", 'attribute_not_exists(#pk)', "sortKeyPrefix: 'SESSION#'", 'gsi1pk: x', "from '@aws-sdk/lib-dynamodb'", '} while (cursor);'];
    samples.forEach((sample, i) => expect(FORBIDDEN[i]![1].test(code(sample)), sample).toBe(true));
  });
});
