import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyPrefix } from '../../functions/kernel/storage/keys';
import { SIGNING_KEY_ROTATOR_OUTPUT } from '../../lib/api-stack';
import { ALERT_EMAIL_CONTEXT, createRampartApp } from '../../lib/app';
import { DynamoDbActions, EventsActions, KmsActions, LogsActions, XRayActions } from '../../lib/iam-actions';
import { SIGNING_KEY_ROTATION_CONTEXT } from '../../lib/signing-key-rotation-days';
import { actionsOf, type PolicyStatementJson, resourcesOfStatement, SKIP_BUNDLING, statementsOfRole, WITHOUT_CHECKS } from './support/templates';

type Built = ReturnType<typeof createRampartApp>;

const build = (context: Record<string, unknown> = {}) => createRampartApp({ context: { ...SKIP_BUNDLING, ...context } }, WITHOUT_CHECKS);

const isAuditDeny = (s: PolicyStatementJson) =>
  s.Effect === 'Deny' &&
  DynamoDbActions.itemMutation.every((a) => actionsOf(s).includes(a)) &&
  JSON.stringify(s.Condition) === JSON.stringify({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${KeyPrefix.audit}*`] } });

describe('SigningKeyRotation', () => {
  describe('as the app deploys it (default interval)', () => {
    let built: Built;
    let template: Template;
    let ids: { rotator: string; role: string; schedule: string; queue: string };

    beforeAll(() => {
      built = build();
      template = Template.fromStack(built.api);
      const { rotator, schedule, deadLetterQueue } = built.api.signingKeyRotation;
      const logicalId = (construct: { node: { defaultChild?: unknown } }) => built.api.getLogicalId(construct.node.defaultChild as never);
      ids = {
        rotator: logicalId(rotator.function),
        role: logicalId(rotator.role),
        schedule: logicalId(schedule),
        queue: logicalId(deadLetterQueue),
      };
    });

    const rotatorStatements = () => statementsOfRole(template, ids.role);

    it('deploys the identity domain’s rotate-signing-key function on Node.js 24, arm64, traced, with its own role', () => {
      template.hasResource('AWS::Lambda::Function', {
        Properties: Match.objectLike({
          Description: 'Rampart identity rotate-signing-key',
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          Role: { 'Fn::GetAtt': [ids.role, 'Arn'] },
        }),
      });
      expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Rampart identity rotate-signing-key' } }))).toEqual([ids.rotator]);
    });

    it('names the function in a stack output, for an operator who rotates by hand', () => {
      template.hasOutput(SIGNING_KEY_ROTATOR_OUTPUT, { Value: { Ref: ids.rotator } });
    });

    it('denies the rotator’s role rewriting or deleting audit records', () => {
      expect(rotatorStatements().filter(isAuditDeny)).toHaveLength(1);
    });

    it('gives the rotator no mail and no Scan: only the platform baseline and its dead-letter queue', () => {
      const allowed = rotatorStatements()
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf);
      expect(allowed).not.toContain('ses:SendEmail');
      expect(allowed.filter((a) => a.startsWith('ses:'))).toEqual([]);
      expect(allowed).not.toContain('dynamodb:Scan');
      expect([...new Set(allowed)].sort()).toEqual(
        [
          ...new Set([
            ...DynamoDbActions.itemAccess,
            ...KmsActions.wrap,
            ...KmsActions.tableKeyViaDynamoDb,
            ...EventsActions.publish,
            ...LogsActions.writeToGroup,
            ...XRayActions.publishTraces,
            'sqs:SendMessage',
          ]),
        ].sort(),
      );
    });

    it('lets the rotator seal keys under the root key only with an encryption context', () => {
      const envelope = rotatorStatements().filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('kms:GenerateDataKey') && !s.Condition?.StringEquals);
      expect(envelope).toHaveLength(1);
      expect(actionsOf(envelope[0]!).sort()).toEqual([...KmsActions.wrap].sort());
      expect(envelope[0]!.Condition).toEqual({ Null: { 'kms:EncryptionContextKeys': 'false' } });
      expect(JSON.stringify(envelope[0]!.Resource)).toContain('RootKey');
    });

    it('lets the rotator send only to its own dead-letter queue', () => {
      const sends = rotatorStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sends).toHaveLength(1);
      expect(actionsOf(sends[0]!)).toEqual(['sqs:SendMessage']);
      expect(resourcesOfStatement(sends[0]!)).toEqual([{ 'Fn::GetAtt': [ids.queue, 'Arn'] }]);
    });

    it('rotates every 30 days: a scheduled rule targets the rotator, with delivery retries and the dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(30 days)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [ids.rotator, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 24 * 3600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
          }),
        ],
      });
      expect(Object.keys(template.findResources('AWS::Events::Rule'))).toEqual([ids.schedule]);
    });

    it('retries a failing rotation twice, then hands it to the same dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.rotator },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'Rampart identity rotate-signing-key',
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
      });
    });

    it('encrypts the dead-letter queue, refuses requests without TLS and takes messages from this rule only', () => {
      expect(template.toJSON().Resources[ids.queue].Properties).toMatchObject({ SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.schedule, 'Arn'] } } },
            }),
          ]),
        },
      });
    });

    it('raises an alarm on the operator alerts topic as soon as the dead-letter queue holds a message', () => {
      const topicExport = JSON.stringify(template.toJSON()).match(/RampartEvents:ExportsOutputRefAlertsTopic[A-Za-z0-9]+/);
      expect(topicExport).not.toBeNull();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('AlertsTopic') }],
      });
    });

    it('passes the AwsSolutions checks with no acknowledgement beyond the X-Ray one of every function', () => {
      const rotation = built.api.signingKeyRotation;
      expect(new AwsSolutionsChecks().validateScope(rotation).violations).toEqual([]);
      const acknowledged = rotation.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((e) => Object.keys(e.data as Record<string, string>).map((k) => k.replace(/^annotation::/i, '')));
      expect(acknowledged).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    });
  });

  describe(`the ${ALERT_EMAIL_CONTEXT} context`, () => {
    it('subscribes the address to the operator alerts topic', () => {
      const template = Template.fromStack(build({ [ALERT_EMAIL_CONTEXT]: 'ops@acme.test' }).events);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme.test' });
      Template.fromStack(build().events).resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it.each(['not-an-address', 'a@b', 42, 'two@acme.test three@acme.test'])('refuses %j at synth, naming the context', (email) => {
      expect(() => build({ [ALERT_EMAIL_CONTEXT]: email })).toThrow(new RegExp(`Invalid ${ALERT_EMAIL_CONTEXT}`));
    });
  });

  describe(`the ${SIGNING_KEY_ROTATION_CONTEXT} context`, () => {
    it.each([
      ['7', 'rate(7 days)'],
      [1, 'rate(1 day)'],
      [365, 'rate(365 days)'],
    ])('schedules the rotation for %j as %s', (days, expression) => {
      const template = Template.fromStack(build({ [SIGNING_KEY_ROTATION_CONTEXT]: days }).api);
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: expression });
    });

    it.each([0, 366, -1, 1.5, '0', '366', '30d', '1e2', ' 7', '', 'abc', true, [30]])('refuses %j at synth, naming the context', (days) => {
      expect(() => build({ [SIGNING_KEY_ROTATION_CONTEXT]: days })).toThrow(new RegExp(`Invalid ${SIGNING_KEY_ROTATION_CONTEXT}`));
    });
  });
});
