import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RegionalWebAclProps {
  /** Prefix of the ACL's name and of its metric names. */
  readonly name: string;
  /** ARN of what the ACL protects (an API Gateway stage). */
  readonly resourceArn: string;
  /**
   * Requests one client IP may make in any 5-minute window before it is blocked: a coarse shield
   * in front of the per-route token buckets in DynamoDB.
   * @default 1000
   */
  readonly rateLimitPerIp?: number;
  /**
   * Whether blocked and counted requests are logged to CloudWatch Logs (allowed requests are in the
   * API access logs already). Credentials are redacted from the logged headers.
   * @default true
   */
  readonly logging?: boolean;
  /**
   * How long WAF logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** AWS managed rule groups, evaluated in this order after the per-IP rate rule. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/** Headers that carry credentials: never written to WAF logs. */
const REDACTED_HEADERS = ['authorization', 'x-api-key'] as const;

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

/** A regional AWS WAF web ACL (rate limit per IP, AWS managed rules) associated with one resource. */
export class RegionalWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup?: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RegionalWebAclProps) {
    super(scope, id);
    const rateRule: wafv2.CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: 0,
      action: { block: {} },
      statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit: props.rateLimitPerIp ?? 1000, evaluationWindowSec: 300 } },
      visibilityConfig: visibility(`${props.name}-RateLimitPerIp`),
    };
    const managedRules = MANAGED_RULE_GROUPS.map(
      (name, i): wafv2.CfnWebACL.RuleProperty => ({
        name,
        priority: i + 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: visibility(`${props.name}-${name}`),
      }),
    );

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.name),
      rules: [rateRule, ...managedRules],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.resourceArn, webAclArn: this.webAcl.attrArn });

    if (props.logging ?? true) {
      this.logGroup = new logs.LogGroup(this, 'Logs', {
        // WAF only delivers to log groups whose name starts with `aws-waf-logs-`.
        logGroupName: `aws-waf-logs-${props.name}`,
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      new wafv2.CfnLoggingConfiguration(this, 'Logging', {
        resourceArn: this.webAcl.attrArn,
        // The log group ARN without the `:*` suffix of its GetAtt.
        logDestinationConfigs: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: this.logGroup.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
        loggingFilter: {
          DefaultBehavior: 'DROP',
          Filters: [
            {
              Behavior: 'KEEP',
              Requirement: 'MEETS_ANY',
              Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
            },
          ],
        },
      });
    }
  }
}
