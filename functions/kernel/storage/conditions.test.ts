import { describe, expect, it } from 'vitest';
import { Conditions, updateExpression } from './conditions';

describe('Conditions', () => {
  it('keeps the named fragments writes have always used', () => {
    expect(Conditions.notExists).toEqual({ ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } });
    expect(Conditions.versionIs(3)).toEqual({ ConditionExpression: '#version = :expectedVersion', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expectedVersion': 3 } });
  });

  it('composes operands without letting their placeholders collide', () => {
    const both = Conditions.all(Conditions.attributeIs('role', 'owner'), Conditions.attributeIs('role', 'admin'));
    expect(both).toEqual({
      ConditionExpression: '(#role_0 = :role_0) AND (#role_1 = :role_1)',
      ExpressionAttributeNames: { '#role_0': 'role', '#role_1': 'role' },
      ExpressionAttributeValues: { ':role_0': 'owner', ':role_1': 'admin' },
    });
    const nested = Conditions.any(Conditions.exists, Conditions.all(Conditions.attributeAbsent('a'), Conditions.attributeBetween('b', 1, 2)));
    expect(nested.ConditionExpression).toBe('(attribute_exists(#pk_0)) OR ((attribute_not_exists(#a_0_1)) AND (#b_1_1 BETWEEN :bLow_1_1 AND :bHigh_1_1))');
    expect(Object.keys(nested.ExpressionAttributeValues!)).toEqual([':bLow_1_1', ':bHigh_1_1']);
  });

  it('compares two attributes of the item, and keeps them apart beside other operands', () => {
    expect(Conditions.attributeBelowAttribute('failures', 'allowed')).toEqual({
      ConditionExpression: '#failures < #allowed',
      ExpressionAttributeNames: { '#failures': 'failures', '#allowed': 'allowed' },
    });
    const guarded = Conditions.all(Conditions.attributePresent('allowed'), Conditions.attributeBelowAttribute('failures', 'allowed'));
    expect(guarded.ConditionExpression).toBe('(attribute_exists(#allowed_0)) AND (#failures_1 < #allowed_1)');
    expect(() => Conditions.attributeBelowAttribute('failures', 'a-b')).toThrow(TypeError);
  });

  it('refuses attribute names that are not plain identifiers', () => {
    expect(() => Conditions.attributeIs('a b', 1)).toThrow(TypeError);
    expect(() => Conditions.attributeAbsent('#pk')).toThrow(TypeError);
  });
});

describe('updateExpression', () => {
  it('compiles set, add and remove with placeholders of its own, beside a condition', () => {
    expect(updateExpression({ set: { name: 'n' }, add: { count: 1 }, remove: ['note'] }, Conditions.versionIs(2))).toEqual({
      UpdateExpression: 'SET #u0 = :u0 ADD #u1 :u1 REMOVE #u2',
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeNames: { '#version': 'version', '#u0': 'name', '#u1': 'count', '#u2': 'note' },
      ExpressionAttributeValues: { ':expectedVersion': 2, ':u0': 'n', ':u1': 1 },
    });
  });

  it('refuses an empty update and a condition whose placeholders would collide', () => {
    expect(() => updateExpression({})).toThrow(TypeError);
    expect(() => updateExpression({ set: { a: 1 } }, Conditions.attributeIs('u0', 1))).toThrow(/collide/);
  });
});
