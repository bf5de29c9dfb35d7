import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyPurposes } from '../../functions/kernel/keys/purposes';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { createRampartApp } from '../../lib/app';
import { PiiPurposes, PiiUnwrapOnlyPurposes } from '../../lib/capabilities';
import { KmsActions } from '../../lib/iam-actions';
import { actionsOf, referencedLogicalId, SKIP_BUNDLING, statementsOfRole, WITHOUT_CHECKS, type PolicyStatementJson } from './support/templates';

type Built = ReturnType<typeof createRampartApp>;

/**
 * The PII key: a second customer-managed key whose data keys seal people's personal data. The
 * promise is narrow: the identity API function may use it for user data keys, the orgs API
 * function for invitation data keys, both for the email index key (the key of addresses' lookup
 * hashes), the identity consumer may only unwrap user data keys, and nobody else anything.
 */
describe('PII key', () => {
  let built: Built;
  let data: Template;
  let piiKeyId: string;
  let rootKeyId: string;
  let functions: { id: string; t: Template; props: Record<string, any> }[];

  beforeAll(() => {
    built = createRampartApp({ context: SKIP_BUNDLING }, WITHOUT_CHECKS);
    data = Template.fromStack(built.data);
    piiKeyId = built.data.getLogicalId(built.data.piiKey.key.node.defaultChild as never);
    rootKeyId = built.data.getLogicalId(built.data.rootKey.key.node.defaultChild as never);
    functions = [built.api, built.events]
      .map((stack) => Template.fromStack(stack))
      .flatMap((t) => Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, r]) => ({ id, t, props: r.Properties })));
  });

  /** A statement names the PII key when its resource is the key's ARN (imported from the data stack). */
  const onPiiKey = (s: PolicyStatementJson) => JSON.stringify(s.Resource ?? null).includes(`GetAtt${piiKeyId}Arn`);
  const onRootKey = (s: PolicyStatementJson) => JSON.stringify(s.Resource ?? null).includes(`GetAtt${rootKeyId}Arn`);
  const roleStatements = (fn: (typeof functions)[number]) => statementsOfRole(fn.t, referencedLogicalId(fn.props.Role)!);
  const isIdentityApiFunction = (id: string) => id.startsWith('identityFunction');
  const isOrgsApiFunction = (id: string) => id.startsWith('orgsFunction');
  const isIdentityConsumer = (id: string) => id.startsWith('identityConsumer');
  /** The two statements a role holds on the PII key for its purposes: wrap and unwrap. */
  const wrapAndUnwrap = (...purposes: string[]) => {
    const condition = { StringEquals: { 'kms:EncryptionContext:purpose': purposes } };
    return [
      expect.objectContaining({ Effect: 'Allow', Action: [...KmsActions.wrap], Condition: condition }),
      expect.objectContaining({ Effect: 'Allow', Action: KmsActions.unwrap[0], Condition: condition }),
    ];
  };

  describe('the key', () => {
    it('is a customer-managed key of its own, rotated yearly and retained', () => {
      const key = data.toJSON().Resources[piiKeyId];
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
      expect(key.Properties.Description).toMatch(/PII/);
      expect(piiKeyId).not.toBe(rootKeyId);
    });

    it('is named by the stage alias alias/rampart-<stage>-pii, retained with it', () => {
      data.hasResource('AWS::KMS::Alias', {
        Properties: { AliasName: 'alias/rampart-prod-pii', TargetKeyId: { 'Fn::GetAtt': [piiKeyId, 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    });
  });

  describe('who may use it', () => {
    it('tells every function its ARN in RAMPART_PII_KEY_ARN', () => {
      expect(functions.length).toBeGreaterThan(1);
      for (const { id, props } of functions) {
        expect(JSON.stringify(props.Environment.Variables[PlatformEnv.piiKeyArn]), id).toContain(`GetAtt${piiKeyId}Arn`);
      }
    });

    it('lets the identity API function wrap and unwrap under it, only for user data keys and the email index key', () => {
      const identity = functions.filter((f) => isIdentityApiFunction(f.id));
      expect(identity).toHaveLength(1);
      expect(roleStatements(identity[0]!).filter(onPiiKey)).toEqual(wrapAndUnwrap(KeyPurposes.userPii, KeyPurposes.emailIndex));
    });

    it('lets the orgs API function wrap and unwrap under it, only for invitation data keys and the email index key', () => {
      const orgs = functions.filter((f) => isOrgsApiFunction(f.id));
      expect(orgs).toHaveLength(1);
      expect(roleStatements(orgs[0]!).filter(onPiiKey)).toEqual(wrapAndUnwrap(KeyPurposes.invitationPii, KeyPurposes.emailIndex));
    });

    it('lets exactly the identity and orgs API functions hash addresses (email-index), on no key but the PII key', () => {
      const holders = functions.filter((f) => JSON.stringify(roleStatements(f)).includes(KeyPurposes.emailIndex));
      expect(holders.map((f) => f.id).sort()).toEqual(functions.filter((f) => isIdentityApiFunction(f.id) || isOrgsApiFunction(f.id)).map((f) => f.id).sort());
      for (const fn of holders) expect(JSON.stringify(roleStatements(fn).filter((s) => !onPiiKey(s))), fn.id).not.toContain(KeyPurposes.emailIndex);
    });

    it('lets the identity consumer only unwrap user data keys: it makes no key and hashes no address', () => {
      const consumer = functions.filter((f) => isIdentityConsumer(f.id));
      expect(consumer).toHaveLength(1);
      expect(roleStatements(consumer[0]!).filter(onPiiKey)).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: KmsActions.unwrap[0], Condition: { StringEquals: { 'kms:EncryptionContext:purpose': [KeyPurposes.userPii] } } }),
      ]);
    });

    it('gives every other role no statement on it at all: other domains, the signing-key rotator, other event consumers', () => {
      const others = functions.filter((f) => !isIdentityApiFunction(f.id) && !isOrgsApiFunction(f.id) && !isIdentityConsumer(f.id));
      expect(others.map((f) => f.id).some((id) => id.includes('SigningKeyRotation'))).toBe(true);
      for (const fn of others) expect(roleStatements(fn).filter(onPiiKey), fn.id).toEqual([]);
    });

    it('grants nothing on it without a purpose condition, and no PII purpose on the root key', () => {
      for (const fn of functions) {
        for (const statement of roleStatements(fn).filter(onPiiKey)) {
          expect(Object.keys(statement.Condition?.StringEquals ?? {}), fn.id).toEqual(['kms:EncryptionContext:purpose']);
          expect(actionsOf(statement).every((a) => [...KmsActions.wrap, ...KmsActions.unwrap].includes(a as never)), fn.id).toBe(true);
        }
        expect(JSON.stringify(roleStatements(fn).filter(onRootKey)), fn.id).not.toMatch(/user-pii|invitation-pii|email-index/);
      }
    });

    it('leaves identity only signing keys to unwrap under the root key: TOTP secrets moved under user data keys', () => {
      const identity = functions.find((f) => isIdentityApiFunction(f.id))!;
      const unwrap = roleStatements(identity).filter((s) => onRootKey(s) && actionsOf(s).includes('kms:Decrypt'));
      expect(unwrap.map((s) => s.Condition)).toEqual([{ StringEquals: { 'kms:EncryptionContext:purpose': [KeyPurposes.accessTokenSigningKey] } }]);
    });

    it('maps only user and invitation data keys and the email index key to capabilities (a new PII purpose is a reviewed permission change)', () => {
      expect(PiiPurposes).toEqual({
        openUserPii: [KeyPurposes.userPii, KeyPurposes.emailIndex],
        openInvitationPii: [KeyPurposes.invitationPii, KeyPurposes.emailIndex],
      });
      expect(PiiUnwrapOnlyPurposes).toEqual({ readUserPii: [KeyPurposes.userPii] });
    });
  });
});
