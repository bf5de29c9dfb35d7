import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface OperatorAlertsProps {
  /** Topic name, e.g. `rampart-prod-alerts`. */
  readonly topicName: string;
  /**
   * An address subscribed to the topic (it must confirm the subscription).
   * @default none: subscribe after deploying
   */
  readonly email?: string;
}

/**
 * Where alarms go: one SNS topic, encrypted with a key of its own (CloudWatch may use it to publish)
 * and refusing publications without TLS. Work that failed for good (a dead-letter queue that is no
 * longer empty) raises an alarm here, so a stuck re-seal or rotation is seen, not found later.
 */
export class OperatorAlerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: OperatorAlertsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', { description: `Rampart: encrypts the ${props.topicName} topic`, enableKeyRotation: true });
    // CloudWatch publishes alarms to an encrypted topic only if it may use the topic's key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.key.stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { topicName: props.topicName, masterKey: this.key, enforceSSL: true });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** Raises an alarm here as soon as `queue` holds a message (checked every 5 minutes). */
  alarmOnDeadLetters(scope: Construct, id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmDescription: `Rampart: ${what} failed for good; what failed waits in a dead-letter queue for 14 days.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    return alarm;
  }
}
