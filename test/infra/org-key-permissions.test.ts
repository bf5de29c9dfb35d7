import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventCatalogue } from '../../functions/kernel/events/catalogue';
import { KeyPurposes } from '../../functions/kernel/keys/purposes';
import { createRampartApp } from '../../lib/app';
import { actionsOf, identityStatements, referencedLogicalId, SKIP_BUNDLING, statementsOfRole, WITHOUT_CHECKS, type PolicyStatementJson } from './support/templates';

/**
 * "Only the deploy path may open values": in the whole deployment, the one role allowed to
 * kms:Decrypt an organization key (encryption context purpose `org-key`) is the deploy consumer's;
 * every other decrypt on the root key is confined to other purposes, and none is unconditional.
 */
describe('who may decrypt organization keys', () => {
  let templates: { stack: string; template: Template }[];

  beforeAll(() => {
    const { data, events, api } = createRampartApp({ context: SKIP_BUNDLING }, WITHOUT_CHECKS);
    templates = [data, events, api].map((stack) => ({ stack: stack.stackName, template: Template.fromStack(stack) }));
  });

  const onRootKey = (s: PolicyStatementJson) => JSON.stringify(s.Resource ?? '').includes('RootKey');
  const decrypts = (s: PolicyStatementJson) => s.Effect === 'Allow' && actionsOf(s).some((a) => a === 'kms:Decrypt' || a === 'kms:*' || a === '*');
  const purposesOf = (s: PolicyStatementJson): string[] => [s.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] ?? []].flat() as string[];

  /** Every role of the deployment with the statements attached to it. */
  const roles = () =>
    templates.flatMap(({ stack, template }) =>
      Object.entries(template.findResources('AWS::IAM::Role')).map(([id, role]) => ({
        id: `${stack}/${id}`,
        description: String(role.Properties?.Description ?? ''),
        statements: statementsOfRole(template, id),
      })),
    );

  it('grants kms:Decrypt on the root key only under a purpose condition, in every stack', () => {
    const statements = templates.flatMap(({ template }) => identityStatements(template)).filter((s) => decrypts(s) && onRootKey(s));
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(actionsOf(s)).toEqual(['kms:Decrypt']);
      expect(Object.keys(s.Condition ?? {}), JSON.stringify(s)).toEqual(['StringEquals']);
      expect(purposesOf(s).length).toBeGreaterThan(0);
    }
  });

  it('lets exactly one role decrypt the org-key purpose: the deploy consumer’s, and nothing else', () => {
    const holders = roles().filter((role) => role.statements.some((s) => decrypts(s) && onRootKey(s) && purposesOf(s).includes(KeyPurposes.orgKey)));
    expect(holders.map((r) => r.description)).toEqual(['Rampart deploy consumer']);
    const [deploy] = holders;
    const unwrap = deploy!.statements.filter((s) => decrypts(s) && onRootKey(s));
    expect(unwrap).toHaveLength(1);
    expect(unwrap[0]!.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': [KeyPurposes.orgKey] } });
  });

  it('leaves the API functions able to wrap under the root key but not to open an organization key', () => {
    const apiRoles = roles().filter((r) => r.description.endsWith(' handler'));
    expect(apiRoles.length).toBeGreaterThan(3);
    for (const role of apiRoles) {
      expect(role.statements.some((s) => s.Effect === 'Allow' && onRootKey(s) && actionsOf(s).includes('kms:GenerateDataKey')), role.id).toBe(true);
      const opens = role.statements.filter((s) => decrypts(s) && onRootKey(s)).flatMap(purposesOf);
      expect(opens, role.id).not.toContain(KeyPurposes.orgKey);
    }
  });

  it('delivers org.key.reseal_requested to the deploy consumer, with five minutes a delivery', () => {
    const events = templates.find((t) => t.stack.endsWith('RampartEvents'))!.template;
    const rules = Object.values(events.findResources('AWS::Events::Rule')).filter((r) => r.Properties.EventPattern['detail-type'].includes('org.key.reseal_requested'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern.source).toEqual([EventCatalogue['org.key.reseal_requested'].source]);
    const targetId = referencedLogicalId(rules[0]!.Properties.Targets[0].Arn)!;
    const target = events.findResources('AWS::Lambda::Function')[targetId]!;
    expect(target.Properties.Description).toBe('Rampart deploy consumer');
    expect(target.Properties.Timeout).toBe(300);
  });
});
