import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Domain } from '../../functions/kernel/domains';
import { FALLBACK_RESOURCE } from '../../functions/kernel/http/resolve-route';
import type { Route } from '../../functions/kernel/http/route';
import { addGatewayErrorResponses } from './gateway-responses';

export interface RampartRestApiProps {
  readonly restApiName: string;
  /** Every endpoint: one resource per path, one method per route. */
  readonly routes: readonly Route[];
  /** The function serving each domain's routes. */
  readonly functions: ReadonlyMap<Domain, lambda.IFunction>;
  /** Answers what no route declares: other methods on a known path (405) and unknown paths (404). */
  readonly fallback: lambda.IFunction;
  /**
   * The API Gateway stage name; it is the first path segment of the default endpoint, before the
   * routes' own `/v1/…` (e.g. `…/prod/v1/health`).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state requests per second for the whole stage (WAF limits each client before this).
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst capacity for the whole stage.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** One JSON object per request, with what an investigation needs (no headers, no bodies). */
const ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: apigw.AccessLogField.contextRequestId(),
    extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
    requestTime: apigw.AccessLogField.contextRequestTime(),
    ip: apigw.AccessLogField.contextIdentitySourceIp(),
    userAgent: apigw.AccessLogField.contextIdentityUserAgent(),
    httpMethod: apigw.AccessLogField.contextHttpMethod(),
    resourcePath: apigw.AccessLogField.contextResourcePath(),
    path: apigw.AccessLogField.contextPath(),
    protocol: apigw.AccessLogField.contextProtocol(),
    status: apigw.AccessLogField.contextStatus(),
    responseLength: apigw.AccessLogField.contextResponseLength(),
    responseLatency: apigw.AccessLogField.contextResponseLatency(),
    integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
    integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
    errorType: apigw.AccessLogField.contextErrorResponseType(),
    wafStatus: apigw.AccessLogField.contextWafResponseCode(),
    traceId: apigw.AccessLogField.contextXrayTraceId(),
  }),
);

/**
 * The regional REST API, built from the route table. Every route is a Lambda proxy method on its
 * domain's function; every route path also has an `ANY` method and the root a `{proxy+}`, both on
 * the fallback function, so 404/405 come from the same error renderer as everything else. Gateway
 * errors (WAF, throttling, oversize, …) have the same JSON shape and security headers.
 */
export class RampartRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RampartRestApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: 'Rampart control plane API',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // The account-level CloudWatch role is a per-account setting, not this stack's to own.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        metricsEnabled: true,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Data trace logs full request and response bodies: credentials and tokens included.
        dataTraceEnabled: false,
      },
    });
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason: 'Requests are validated in the Lambda pipeline against the zod schemas of the route table (params, query, body), which API Gateway models cannot express.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason: 'No API Gateway authorizer by design: the Lambda pipeline authenticates every non-public route itself (EdDSA JWTs and hashed API keys) before any handler runs.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Rampart issues and verifies its own tokens (JWT/API keys) in the Lambda pipeline; there is no Cognito user pool to authorize against.',
      },
    );

    const integrations = new Map<lambda.IFunction, apigw.LambdaIntegration>();
    // One resource-policy statement per function and API instead of one per method: the Lambda
    // policy size limit would otherwise cap the number of routes.
    const integrationFor = (fn: lambda.IFunction) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new apigw.LambdaIntegration(fn, { proxy: true, scopePermissionToMethod: false });
        integrations.set(fn, integration);
      }
      return integration;
    };

    const routeResources = new Map<string, apigw.Resource>();
    for (const route of props.routes) {
      const fn = props.functions.get(route.domain);
      if (!fn) throw new Error(`No function for domain ${route.domain} (route ${route.id})`);
      const resource = this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integrationFor(fn));
      routeResources.set(route.path, resource);
    }
    for (const resource of routeResources.values()) resource.addMethod('ANY', integrationFor(props.fallback));
    this.api.root.resourceForPath(FALLBACK_RESOURCE).addMethod('ANY', integrationFor(props.fallback));

    addGatewayErrorResponses(this.api);
  }

  get stage(): apigw.Stage {
    return this.api.deploymentStage;
  }
}
