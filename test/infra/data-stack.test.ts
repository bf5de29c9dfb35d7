import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, TableDefinition } from '../../functions/kernel/storage/table-definition';
import { createRampartApp } from '../../lib/app';
import { SKIP_BUNDLING, WITHOUT_CHECKS } from './support/templates';

describe('DataStack', () => {
  let template: Template;
  let tableKeyId: string;
  let rootKeyId: string;
  let piiKeyId: string;
  let allTemplates: Template[];

  beforeAll(() => {
    const built = createRampartApp({ context: SKIP_BUNDLING }, WITHOUT_CHECKS);
    template = Template.fromStack(built.data);
    allTemplates = [template, Template.fromStack(built.events), Template.fromStack(built.api)];
    tableKeyId = built.data.getLogicalId(built.data.table.encryptionKey.node.defaultChild as never);
    rootKeyId = built.data.getLogicalId(built.data.rootKey.key.node.defaultChild as never);
    piiKeyId = built.data.getLogicalId(built.data.piiKey.key.node.defaultChild as never);
  });

  describe('table', () => {
    it('has exactly the key schema, attributes and indexes of TableDefinition (what DynamoDB Local gets)', () => {
      const local = createTableInput('unused');
      const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
      const props = table!.Properties;
      expect(props.KeySchema).toEqual(local.KeySchema);
      expect(props.AttributeDefinitions).toEqual(expect.arrayContaining(local.AttributeDefinitions));
      expect(props.AttributeDefinitions).toHaveLength(local.AttributeDefinitions.length);
      expect(props.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
      expect(props.BillingMode).toBe(local.BillingMode);
    });

    it('projects all attributes into every index', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: Object.keys(TableDefinition.indexes).map((IndexName) => Match.objectLike({ IndexName, Projection: { ProjectionType: 'ALL' } })),
      });
    });

    it('expires items on the TTL attribute of TableDefinition', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: TableDefinition.ttlAttribute, Enabled: true },
      });
    });

    it('keeps point-in-time recovery on and refuses deletion', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('is encrypted with its own customer-managed key, not the root key', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] } },
      });
      expect(tableKeyId).not.toBe(rootKeyId);
      expect(tableKeyId).not.toBe(piiKeyId);
    });
  });

  describe('keys', () => {
    it('rotates every KMS key of every stack and retains it', () => {
      let keys = 0;
      for (const t of allTemplates) {
        for (const key of Object.values(t.findResources('AWS::KMS::Key'))) {
          keys++;
          expect(key.Properties.EnableKeyRotation).toBe(true);
          expect(key.DeletionPolicy).toBe('Retain');
        }
      }
      // The table's key, the root key, the PII key and the operator alerts topic's key.
      expect(keys).toBe(4);
    });

    it('names the root key with a stage alias that survives the stack', () => {
      template.hasResource('AWS::KMS::Alias', {
        Properties: { AliasName: 'alias/rampart-prod-root', TargetKeyId: { 'Fn::GetAtt': [rootKeyId, 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    });

    it('keeps the PII key apart from the root key, under its own stage alias that survives the stack', () => {
      expect(piiKeyId).not.toBe(rootKeyId);
      template.hasResource('AWS::KMS::Alias', {
        Properties: { AliasName: 'alias/rampart-prod-pii', TargetKeyId: { 'Fn::GetAtt': [piiKeyId, 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    });

    it('names no principal but the account in the key policies (functions get access by IAM policy)', () => {
      for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
        const principals = key.Properties.KeyPolicy.Statement.map((s: { Principal: { AWS: unknown } }) => JSON.stringify(s.Principal));
        expect(principals.length).toBeGreaterThan(0);
        expect(principals.every((p: string) => p.includes(':root'))).toBe(true);
      }
    });
  });
});
