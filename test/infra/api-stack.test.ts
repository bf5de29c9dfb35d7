import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../functions/kernel/http/error-renderer';
import type { Domain } from '../../functions/kernel/domains';
import { FALLBACK_RESOURCE } from '../../functions/kernel/http/resolve-route';
import { SECURITY_HEADERS } from '../../functions/kernel/http/security-headers';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { KeyPrefix, Keys } from '../../functions/kernel/storage/keys';
import { TableDefinition } from '../../functions/kernel/storage/table-definition';
import { routeTable } from '../../functions/routes';
import packageJson from '../../package.json' with { type: 'json' };
import { createRampartApp } from '../../lib/app';
import { MANAGED_RULE_GROUPS } from '../../lib/constructs/web-acl';
import { KeyPurposes } from '../../functions/kernel/keys/purposes';
import { DynamoDbActions, KmsActions, XRayActions } from '../../lib/iam-actions';
import {
  actionsOf,
  apiMethods,
  identityStatements,
  type PolicyStatementJson,
  referencedLogicalId,
  resourcesOfStatement,
  SKIP_BUNDLING,
  statementsOfRole,
  WITHOUT_CHECKS,
} from './support/templates';

type Built = ReturnType<typeof createRampartApp>;

/** IAM's StringLike: `*` is any run of characters, `?` any one character. */
const iamGlob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

const isAuditDeny = (s: PolicyStatementJson) =>
  s.Effect === 'Deny' &&
  DynamoDbActions.itemMutation.every((a) => actionsOf(s).includes(a)) &&
  JSON.stringify(s.Condition) === JSON.stringify({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${KeyPrefix.audit}*`] } });

describe('ApiStack', () => {
  let built: Built;
  let template: Template;
  let allTemplates: Template[];
  let domains: Domain[];
  let functionIds: Map<Domain, string>;

  beforeAll(() => {
    built = createRampartApp({ context: SKIP_BUNDLING }, WITHOUT_CHECKS);
    template = Template.fromStack(built.api);
    allTemplates = [Template.fromStack(built.data), Template.fromStack(built.events), template];
    domains = [...new Set<Domain>(['platform', ...routeTable.map((r) => r.domain)])];
    functionIds = new Map([...built.api.functions].map(([domain, fn]) => [domain, built.api.getLogicalId(fn.function.node.defaultChild as never)]));
  });

  const lambdaFunctions = () => allTemplates.flatMap((t) => Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, r]) => ({ id, t, props: r.Properties })));

  describe('domain functions', () => {
    it('deploys one function per domain of the route table, the platform domain included, and the signing-key rotator', () => {
      expect([...functionIds.keys()].sort()).toEqual([...domains].sort());
      template.resourceCountIs('AWS::Lambda::Function', domains.length + 1);
    });

    it('runs every function on Node.js 24, arm64, with active X-Ray tracing and explicit memory and timeout', () => {
      const fns = lambdaFunctions();
      expect(fns.length).toBeGreaterThan(0);
      for (const { id, props } of fns) {
        expect(props.Runtime, id).toBe('nodejs24.x');
        expect(props.Architectures, id).toEqual(['arm64']);
        expect(props.TracingConfig, id).toEqual({ Mode: 'Active' });
        expect(props.Handler, id).toBe('index.handler');
        expect(props.MemorySize, id).toBeGreaterThanOrEqual(512);
        // API functions end well before API Gateway's 29 s; event consumers may run longer (the deploy re-seal: 5 min).
        expect(props.Timeout, id).toBeLessThan(String(props.Description).endsWith(' consumer') ? 301 : 29);
      }
    });

    it('configures every function with every PlatformEnv variable and the package version', () => {
      for (const { id, props } of lambdaFunctions()) {
        expect(Object.keys(props.Environment.Variables), id).toEqual(expect.arrayContaining(Object.values(PlatformEnv)));
        expect(props.Environment.Variables[PlatformEnv.version], id).toBe(packageJson.version);
      }
    });

    it('logs every function to a log group of its own that expires after a year', () => {
      const groups = lambdaFunctions().map(({ id, t, props }) => {
        const groupId = referencedLogicalId(props.LoggingConfig?.LogGroup);
        expect(groupId, id).toBeDefined();
        expect(t.toJSON().Resources[groupId!].Properties.RetentionInDays, id).toBe(365);
        return groupId;
      });
      expect(new Set(groups).size).toBe(groups.length);
    });

    it('gives every function a role of its own with no managed policy', () => {
      const roles = lambdaFunctions().map(({ id, t, props }) => {
        const roleId = referencedLogicalId(props.Role)!;
        expect(t.toJSON().Resources[roleId].Properties.ManagedPolicyArns, id).toBeUndefined();
        return roleId;
      });
      expect(new Set(roles).size).toBe(roles.length);
    });
  });

  describe('permissions', () => {
    it("denies every function's role updating or deleting audit records (dynamodb:LeadingKeys AUDIT#*)", () => {
      for (const { id, t, props } of lambdaFunctions()) {
        const statements = statementsOfRole(t, referencedLogicalId(props.Role)!);
        expect(statements.filter(isAuditDeny), id).toHaveLength(1);
      }
    });

    it('matches audit records with the denied key pattern but not audit chain heads', () => {
      const denied = iamGlob(`${KeyPrefix.audit}*`);
      expect(denied.test(Keys.auditRecord('org:acme', 1).pk)).toBe(true);
      expect(denied.test(Keys.auditByAction('org:acme', 'member.added'))).toBe(true);
      expect(denied.test(Keys.auditHead('org:acme').pk)).toBe(false);
    });

    it('allows no Scan, batch write, PartiQL or DynamoDB wildcard anywhere, and no DynamoDB action on Resource "*"', () => {
      const forbidden = [/^dynamodb:Scan$/, /^dynamodb:BatchWriteItem$/, /^dynamodb:PartiQL/, /^dynamodb:\*$/, /^\*$/, /^dynamodb:.*\*/];
      const allows = allTemplates.flatMap(identityStatements).filter((s) => s.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);
      for (const statement of allows) {
        for (const action of actionsOf(statement)) {
          expect(forbidden.some((f) => f.test(action)), `${action} is allowed`).toBe(false);
        }
        if (actionsOf(statement).some((a) => a.startsWith('dynamodb:'))) {
          for (const resource of resourcesOfStatement(statement)) {
            expect(JSON.stringify(resource), 'DynamoDB resource').not.toContain('*');
          }
        }
      }
    });

    it('allows on the table exactly the item actions, on the table and its named indexes', () => {
      const [fn] = lambdaFunctions();
      const statements = statementsOfRole(fn!.t, referencedLogicalId(fn!.props.Role)!);
      const tableAllows = statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(tableAllows).toHaveLength(1);
      expect(actionsOf(tableAllows[0]!).sort()).toEqual([...DynamoDbActions.itemAccess].sort());
      const resources = JSON.stringify(resourcesOfStatement(tableAllows[0]!));
      for (const index of Object.keys(TableDefinition.indexes)) expect(resources).toContain(`/index/${index}`);
      expect(resourcesOfStatement(tableAllows[0]!)).toHaveLength(1 + Object.keys(TableDefinition.indexes).length);
    });

    it('lets every function wrap under the root key, only with an encryption context', () => {
      for (const { id, t, props } of lambdaFunctions()) {
        const onRootKey = statementsOfRole(t, referencedLogicalId(props.Role)!).filter((s) => JSON.stringify(s.Resource).includes('RootKey'));
        const wrap = onRootKey.filter((s) => actionsOf(s).includes('kms:GenerateDataKey'));
        expect(wrap, id).toHaveLength(1);
        expect(actionsOf(wrap[0]!).sort()).toEqual([...KmsActions.wrap].sort());
        expect(wrap[0]!.Condition).toEqual({ Null: { 'kms:EncryptionContextKeys': 'false' } });
      }
    });

    it('lets only identity and the deploy consumer unwrap: identity its signing keys, only deploy organization keys (org-key-permissions.test.ts)', () => {
      for (const { id, t, props } of lambdaFunctions()) {
        const unwrap = statementsOfRole(t, referencedLogicalId(props.Role)!).filter(
          (s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes('RootKey') && actionsOf(s).includes('kms:Decrypt'),
        );
        if (props.Description === 'Rampart deploy consumer') {
          expect(unwrap.map((s) => s.Condition), id).toEqual([{ StringEquals: { 'kms:EncryptionContext:purpose': [KeyPurposes.orgKey] } }]);
          continue;
        }
        if (!id.startsWith('identityFunction')) {
          expect(unwrap, id).toEqual([]);
          continue;
        }
        expect(unwrap, id).toHaveLength(1);
        expect(actionsOf(unwrap[0]!)).toEqual(['kms:Decrypt']);
        // TOTP secrets are sealed under each user's PII data key now (pii-key.test.ts), not the root key.
        expect(unwrap[0]!.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': [KeyPurposes.accessTokenSigningKey] } });
        expect(JSON.stringify(unwrap[0]!.Condition)).not.toContain(KeyPurposes.orgKey);
      }
    });

    it('allows the table key only through DynamoDB (kms:ViaService)', () => {
      for (const { id, t, props } of lambdaFunctions()) {
        const viaDynamo = statementsOfRole(t, referencedLogicalId(props.Role)!).filter((s) => JSON.stringify(s.Resource).includes('TableKey'));
        expect(viaDynamo, id).toHaveLength(1);
        expect(actionsOf(viaDynamo[0]!).sort()).toEqual([...KmsActions.tableKeyViaDynamoDb].sort());
        expect(JSON.stringify(viaDynamo[0]!.Condition)).toContain('"kms:ViaService"');
        expect(JSON.stringify(viaDynamo[0]!.Condition)).toContain('dynamodb.');
      }
    });

    it('allows PutEvents on the Rampart bus and nowhere else', () => {
      const puts = allTemplates.flatMap(identityStatements).filter((s) => actionsOf(s).some((a) => a.startsWith('events:')));
      expect(puts.length).toBe(lambdaFunctions().length);
      for (const statement of puts) {
        expect(actionsOf(statement)).toEqual(['events:PutEvents']);
        // Another stack's functions import the bus's ARN; the events stack's own consumers reference it.
        expect(JSON.stringify(statement.Resource)).toMatch(/RampartEvents:ExportsOutputFnGetAttBus|^\{"Fn::GetAtt":\["Bus[0-9A-F]{8}","Arn"\]\}$/);
      }
    });

    it('confines Resource "*" to the X-Ray actions, which have no resource-level permissions', () => {
      const wildcards = allTemplates.flatMap(identityStatements).filter((s) => resourcesOfStatement(s).includes('*'));
      expect(wildcards.length).toBeGreaterThan(0);
      for (const statement of wildcards) expect(actionsOf(statement).sort()).toEqual([...XRayActions.publishTraces].sort());
    });
  });

  describe('REST API', () => {
    it('is a regional REST API', () => {
      template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    });

    it('has a Lambda proxy method for every route, on the function of its domain', () => {
      const methods = apiMethods(template);
      for (const route of routeTable) {
        const method = methods.find((m) => m.endpoint === `${route.method} ${route.path}`);
        expect(method, `${route.method} ${route.path}`).toBeDefined();
        expect(method!.integrationType).toBe('AWS_PROXY');
        expect(method!.functionLogicalId).toBe(functionIds.get(route.domain));
      }
    });

    it('answers any other method on a route path with the platform function (405)', () => {
      const methods = apiMethods(template);
      for (const path of new Set(routeTable.map((r) => r.path))) {
        const any = methods.find((m) => m.endpoint === `ANY ${path}`);
        expect(any, `ANY ${path}`).toBeDefined();
        expect(any!.functionLogicalId).toBe(functionIds.get('platform'));
      }
    });

    it('sends every unknown path to the platform function through the root /{proxy+} (404)', () => {
      const fallback = apiMethods(template).find((m) => m.endpoint === `ANY ${FALLBACK_RESOURCE}`);
      expect(fallback).toBeDefined();
      expect(fallback!.integrationType).toBe('AWS_PROXY');
      expect(fallback!.functionLogicalId).toBe(functionIds.get('platform'));
    });

    it('has no method the route table does not account for, and none with an authorizer', () => {
      const expected = new Set([
        ...routeTable.map((r) => `${r.method} ${r.path}`),
        ...routeTable.map((r) => `ANY ${r.path}`),
        `ANY ${FALLBACK_RESOURCE}`,
      ]);
      expect(apiMethods(template).map((m) => m.endpoint).sort()).toEqual([...expected].sort());
      template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'NONE' });
    });

    it('deploys the stage named after the Rampart stage with throttling, metrics, tracing and error logs without data trace', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            MetricsEnabled: true,
            ThrottlingRateLimit: Match.anyValue(),
            ThrottlingBurstLimit: Match.anyValue(),
          }),
        ],
      });
    });

    it('writes one JSON access log line per request, with the request id, to a log group with retention', () => {
      const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
      const setting = stage!.Properties.AccessLogSetting;
      const fields = JSON.parse(setting.Format) as Record<string, string>;
      expect(fields).toMatchObject({ requestId: '$context.requestId', status: '$context.status', ip: '$context.identity.sourceIp' });
      const groupId = referencedLogicalId(setting.DestinationArn)!;
      expect(template.toJSON().Resources[groupId].Properties.RetentionInDays).toBe(365);
    });

    it('lets only this API invoke the domain functions, and only the rotation schedule invoke the rotator', () => {
      const apiId = built.api.getLogicalId(built.api.restApi.api.node.defaultChild as never);
      const rotation = built.api.signingKeyRotation;
      const rotatorId = built.api.getLogicalId(rotation.rotator.function.node.defaultChild as never);
      const scheduleId = built.api.getLogicalId(rotation.schedule.node.defaultChild as never);
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
      const ofRotator = permissions.filter((p) => referencedLogicalId(p.Properties.FunctionName) === rotatorId);
      const ofDomains = permissions.filter((p) => referencedLogicalId(p.Properties.FunctionName) !== rotatorId);
      expect(ofDomains.length).toBeGreaterThan(0);
      for (const permission of ofDomains) {
        expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
        expect(JSON.stringify(permission.Properties.SourceArn)).toContain(`{"Ref":"${apiId}"}`);
      }
      expect(ofRotator).toHaveLength(1);
      expect(ofRotator[0]!.Properties).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [scheduleId, 'Arn'] } });
    });
  });

  describe('gateway responses', () => {
    const required = ['DEFAULT_4XX', 'DEFAULT_5XX', 'WAF_FILTERED', 'THROTTLED', 'REQUEST_TOO_LARGE', 'UNAUTHORIZED', 'MISSING_AUTHENTICATION_TOKEN'];
    const quotedHeaders = Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]));

    it.each(required)('answers %s with the JSON error body and the security headers', (type) => {
      const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }));
      expect(responses).toHaveLength(1);
      const props = responses[0]!.Properties;
      expect(props.ResponseParameters).toEqual(quotedHeaders);
      const rendered = String(props.ResponseTemplates['application/json'])
        .replaceAll('$context.error.messageString', JSON.stringify('API Gateway says no'))
        .replaceAll('$context.requestId', 'req-123');
      const body = ErrorBody.parse(JSON.parse(rendered));
      expect(body.error.requestId).toBe('req-123');
    });

    it('turns API Gateway’s missing-token answer for unknown paths into a 404 not_found', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"not_found"') },
      });
    });

    it('answers WAF blocks and throttling with 403 forbidden and 429 rate_limited', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'WAF_FILTERED',
        StatusCode: '403',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"forbidden"') },
      });
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'THROTTLED',
        StatusCode: '429',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"rate_limited"') },
      });
    });
  });

  describe('WAF', () => {
    it('puts a regional web ACL with the AWS managed rule groups and a per-IP rate rule in front of the stage', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true }),
        Rules: Match.arrayWith([
          Match.objectLike({ Action: { Block: {} }, Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) } }),
          ...MANAGED_RULE_GROUPS.map((Name) =>
            Match.objectLike({ OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name } } }),
          ),
        ]),
      });
      const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
      for (const rule of acl!.Properties.Rules) expect(rule.VisibilityConfig.CloudWatchMetricsEnabled, rule.Name).toBe(true);
    });

    it('associates the web ACL with the API stage', () => {
      const aclId = built.api.getLogicalId(built.api.webAcl.webAcl);
      const stageId = built.api.getLogicalId(built.api.restApi.stage.node.defaultChild as never);
      const [association] = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
      expect(association!.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(JSON.stringify(association!.Properties.ResourceArn)).toContain(`{"Ref":"${stageId}"}`);
    });

    it('logs blocked requests with credentials redacted', () => {
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), RetentionInDays: 365 });
    });
  });

  it('sets a retention on every log group of every stack', () => {
    let groups = 0;
    for (const t of allTemplates) {
      for (const [id, group] of Object.entries(t.findResources('AWS::Logs::LogGroup'))) {
        groups++;
        expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
      }
    }
    expect(groups).toBeGreaterThan(0);
  });
});
