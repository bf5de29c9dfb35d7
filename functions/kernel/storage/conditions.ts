import { TableDefinition } from './table-definition';

/**
 * Condition and update expressions: the only module that writes DynamoDB expression syntax.
 * Conditions are named fragments with `#name` / `:value` placeholders, composed with `all` and
 * `any` (placeholders are renamed so that operands never collide); updates are described as data
 * (`set`, `add`, `remove`) and compiled here.
 */

export interface Condition {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Readonly<Record<string, unknown>>;
}

/** What an update changes: attributes to set, numbers to add to (created at 0), attributes to remove. */
export interface Changes {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly add?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
}

const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9_]*$/;

function attribute(name: string): string {
  if (!ATTRIBUTE.test(name)) throw new TypeError(`invalid attribute name ${JSON.stringify(name)}`);
  return name;
}

const pk = TableDefinition.partitionKey;
const ttl = TableDefinition.ttlAttribute;

/** A comparison of one attribute with one value: `#attr <op> :attr`. */
const compare = (name: string, op: '=' | '<' | '<=' | '>' | '>=', value: unknown): Condition => ({
  ConditionExpression: `#${attribute(name)} ${op} :${name}`,
  ExpressionAttributeNames: { [`#${name}`]: name },
  ExpressionAttributeValues: { [`:${name}`]: value },
});

/** Renames every placeholder of `condition` with `suffix`, so it can sit beside another. */
function withSuffix(condition: Condition, suffix: string): Condition {
  const rename = (text: string) => text.replace(/([#:][A-Za-z][A-Za-z0-9_]*)/g, `$1${suffix}`);
  const names = Object.fromEntries(Object.entries(condition.ExpressionAttributeNames ?? {}).map(([k, v]) => [`${k}${suffix}`, v]));
  const values = Object.fromEntries(Object.entries(condition.ExpressionAttributeValues ?? {}).map(([k, v]) => [`${k}${suffix}`, v]));
  return {
    ConditionExpression: rename(condition.ConditionExpression),
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

function combine(operator: 'AND' | 'OR', conditions: readonly Condition[]): Condition {
  if (conditions.length === 0) throw new TypeError('a composed condition needs at least one operand');
  if (conditions.length === 1) return conditions[0]!;
  const parts = conditions.map((c, i) => withSuffix(c, `_${i}`));
  const names = Object.assign({}, ...parts.map((p) => p.ExpressionAttributeNames ?? {})) as Record<string, string>;
  const values = Object.assign({}, ...parts.map((p) => p.ExpressionAttributeValues ?? {})) as Record<string, unknown>;
  return {
    ConditionExpression: parts.map((p) => `(${p.ConditionExpression})`).join(` ${operator} `),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** Named condition fragments: conditional writes are built from these, never typed inline. */
export const Conditions = {
  /** The item does not exist (creation). */
  notExists: { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } } as Condition,
  /** The item exists. */
  exists: { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } } as Condition,
  /**
   * For releasing a claim (a uniqueness item that names its holder): only its holder may delete it,
   * and an absent claim (data from before claims existed) is no obstacle.
   */
  absentOrHeldBy: (holderAttribute: string, holder: string): Condition => ({
    ConditionExpression: 'attribute_not_exists(#pk) OR #holder = :holder',
    ExpressionAttributeNames: { '#pk': pk, '#holder': attribute(holderAttribute) },
    ExpressionAttributeValues: { ':holder': holder },
  }),
  /** Optimistic locking: the stored version is `version`. */
  versionIs: (version: number): Condition => ({
    ConditionExpression: '#version = :expectedVersion',
    ExpressionAttributeNames: { '#version': TableDefinition.versionAttribute },
    ExpressionAttributeValues: { ':expectedVersion': version },
  }),
  /** The item has not expired (it has no TTL, or its TTL lies after `nowSeconds`). */
  unexpired: (nowSeconds: number): Condition => combine('OR', [Conditions.attributeAbsent(ttl), Conditions.attributeAbove(ttl, nowSeconds)]),
  attributePresent: (name: string): Condition => ({ ConditionExpression: `attribute_exists(#${attribute(name)})`, ExpressionAttributeNames: { [`#${name}`]: name } }),
  attributeAbsent: (name: string): Condition => ({ ConditionExpression: `attribute_not_exists(#${attribute(name)})`, ExpressionAttributeNames: { [`#${name}`]: name } }),
  attributeIs: (name: string, value: unknown): Condition => compare(name, '=', value),
  attributeBelow: (name: string, value: number | string): Condition => compare(name, '<', value),
  attributeAtMost: (name: string, value: number | string): Condition => compare(name, '<=', value),
  attributeAbove: (name: string, value: number | string): Condition => compare(name, '>', value),
  /** One attribute is below another of the same item (both present). */
  attributeBelowAttribute: (name: string, other: string): Condition => ({
    ConditionExpression: `#${attribute(name)} < #${attribute(other)}`,
    ExpressionAttributeNames: { [`#${name}`]: name, [`#${other}`]: other },
  }),
  attributeBetween: (name: string, low: number | string, high: number | string): Condition => ({
    ConditionExpression: `#${attribute(name)} BETWEEN :${name}Low AND :${name}High`,
    ExpressionAttributeNames: { [`#${name}`]: name },
    ExpressionAttributeValues: { [`:${name}Low`]: low, [`:${name}High`]: high },
  }),
  /** Every operand holds. */
  all: (...conditions: Condition[]): Condition => combine('AND', conditions),
  /** At least one operand holds. */
  any: (...conditions: Condition[]): Condition => combine('OR', conditions),
} as const;

/** An update's expression, with its own placeholders (`#u0`, `:u0`, …), merged with a condition's. */
export function updateExpression(changes: Changes, condition?: Condition) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attr: string) => {
    const placeholder = `#u${n}`;
    names[placeholder] = attribute(attr);
    return placeholder;
  };
  const value = (v: unknown) => {
    const placeholder = `:u${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  const clauses: string[] = [];
  const set = Object.entries(changes.set ?? {}).map(([attr, v]) => `${name(attr)} = ${value(v)}`);
  if (set.length > 0) clauses.push(`SET ${set.join(', ')}`);
  const add = Object.entries(changes.add ?? {}).map(([attr, v]) => `${name(attr)} ${value(v)}`);
  if (add.length > 0) clauses.push(`ADD ${add.join(', ')}`);
  const remove = (changes.remove ?? []).map((attr) => {
    const placeholder = name(attr);
    n++;
    return placeholder;
  });
  if (remove.length > 0) clauses.push(`REMOVE ${remove.join(', ')}`);
  if (clauses.length === 0) throw new TypeError('an update changes at least one attribute');
  const conditionNames = condition?.ExpressionAttributeNames ?? {};
  const conditionValues = condition?.ExpressionAttributeValues ?? {};
  // Condition placeholders are named after attributes (`#version`); an attribute called `u0` would collide.
  if (Object.keys(conditionNames).some((k) => k in names) || Object.keys(conditionValues).some((k) => k in values)) {
    throw new TypeError('condition and update placeholders collide');
  }
  return {
    UpdateExpression: clauses.join(' '),
    ...(condition ? { ConditionExpression: condition.ConditionExpression } : {}),
    ExpressionAttributeNames: { ...conditionNames, ...names },
    ...(Object.keys(values).length + Object.keys(conditionValues).length > 0 ? { ExpressionAttributeValues: { ...conditionValues, ...values } } : {}),
  };
}
