import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventCatalogue } from '../../functions/kernel/events/catalogue';
import { EventRules, type EventRule } from '../../functions/kernel/events/rules';
import { KeyPrefix } from '../../functions/kernel/storage/keys';
import { createRampartApp } from '../../lib/app';
import { DataStack } from '../../lib/data-stack';
import { DEFAULT_APP_URL } from '../../lib/app-url';
import { EventsStack } from '../../lib/events-stack';
import { DEFAULT_MAIL, MailSender } from '../../lib/mail-sender';
import { actionsOf, referencedLogicalId, SKIP_BUNDLING, statementsOfRole, WITHOUT_CHECKS } from './support/templates';

/** A consumer entry that exists only for these tests (functions/ has no consumer yet). */
const FIXTURE_FUNCTIONS = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

const fixtureRule: EventRule = { name: 'AuditRecordedToAudit', eventTypes: ['audit.recorded'], consumer: { domain: 'audit' } };

describe('EventsStack', () => {
  describe('as deployed (EventRules)', () => {
    let template: Template;

    beforeAll(() => {
      template = Template.fromStack(createRampartApp({ context: SKIP_BUNDLING }, WITHOUT_CHECKS).events);
    });

    it('creates the custom bus rampart-<stage>', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'rampart-prod' });
    });

    it('archives every event of the bus for a year', () => {
      template.hasResourceProperties('AWS::Events::Archive', {
        SourceArn: Match.anyValue(),
        RetentionDays: 365,
        EventPattern: { account: [Match.anyValue()] },
      });
    });

    it('creates one rule per entry of EventRules and nothing more', () => {
      template.resourceCountIs('AWS::Events::Rule', EventRules.length);
    });

    it('gives every consumer function a dead-letter queue of its own and two retries, for events it was handed and kept failing on', () => {
      const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThan(0);
      const invokeConfigs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
      for (const [id, fn] of functions) {
        const queueId = referencedLogicalId(fn.Properties.DeadLetterConfig?.TargetArn);
        expect(template.findResources('AWS::SQS::Queue')[queueId!], id).toBeDefined();
        const config = invokeConfigs.find((c) => referencedLogicalId(c.Properties.FunctionName) === id);
        expect(config?.Properties, id).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 });
      }
    });

    it('raises an alarm on the alerts topic as soon as any dead-letter queue holds a message', () => {
      const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
      expect(queues.length).toBe(2 * EventRules.length);
      for (const queue of queues) {
        const alarm = alarms.find((a) => a.Properties.Dimensions?.some((d: { Value: unknown }) => JSON.stringify(d.Value).includes(queue)));
        expect(alarm?.Properties, queue).toMatchObject({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Namespace: 'AWS/SQS',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [{ Ref: topicId }],
        });
      }
    });

    it('encrypts the alerts topic with a rotating key CloudWatch may use, and refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'rampart-prod-alerts', KmsMasterKeyId: Match.anyValue() });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });
  });

  describe('with a rule', () => {
    let stack: EventsStack;
    let template: Template;

    beforeAll(() => {
      const app = new App({ context: SKIP_BUNDLING });
      const data = new DataStack(app, 'Data', { stage: 'test' });
      stack = new EventsStack(app, 'Events', {
        stage: 'test',
        table: data.table,
        rootKey: data.rootKey,
        piiKey: data.piiKey,
        version: '0.0.0-test',
        mail: new MailSender(DEFAULT_MAIL),
        appUrl: DEFAULT_APP_URL,
        rules: [fixtureRule],
        functionsDir: FIXTURE_FUNCTIONS,
      });
      template = Template.fromStack(stack);
    });

    it('routes the rule’s event types from their catalogue source on the Rampart bus', () => {
      const busId = stack.getLogicalId(stack.bus.node.defaultChild as never);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: busId },
        EventPattern: { source: [EventCatalogue['audit.recorded'].source], 'detail-type': ['audit.recorded'] },
      });
    });

    it('targets the consumer function of the domain, with retries and a dead-letter queue', () => {
      const consumer = stack.consumers[0]!.consumer;
      const functionId = stack.getLogicalId(consumer.function.node.defaultChild as never);
      const queueId = stack.getLogicalId(stack.consumers[0]!.deadLetterQueues[0]!.node.defaultChild as never);
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
            RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }),
          }),
        ],
      });
    });

    it('encrypts the dead-letter queue and refuses requests without TLS', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('builds the consumer like an API function: Node.js 24 on arm64, traced, audit mutations denied', () => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(fn!.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const deny = statementsOfRole(template, referencedLogicalId(fn!.Properties.Role)!).filter((s) => s.Effect === 'Deny');
      expect(deny).toHaveLength(1);
      expect(actionsOf(deny[0]!)).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
      expect(deny[0]!.Condition).toEqual({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${KeyPrefix.audit}*`] } });
    });

    it('passes cdk-nag AwsSolutions with only reasoned acknowledgements', () => {
      const { violations } = new AwsSolutionsChecks().validateScope(stack);
      expect(violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
    });

    it('refuses a rule whose consumer has no consumer.ts', () => {
      const app = new App({ context: SKIP_BUNDLING });
      const data = new DataStack(app, 'Data', { stage: 'test' });
      expect(
        () =>
          new EventsStack(app, 'Events', {
            stage: 'test',
            table: data.table,
            rootKey: data.rootKey,
            piiKey: data.piiKey,
            version: '0.0.0-test',
            mail: new MailSender(DEFAULT_MAIL),
            appUrl: DEFAULT_APP_URL,
            rules: [{ ...fixtureRule, consumer: { domain: 'nowhere' } }],
            functionsDir: FIXTURE_FUNCTIONS,
          }),
      ).toThrow(/nowhere has no consumer entry/);
    });
  });
});
