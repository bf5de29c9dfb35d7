import type { Template } from 'aws-cdk-lib/assertions';

/**
 * Context that skips asset bundling in every stack: template assertions do not need the bundles,
 * and esbuild per function would make every test file slow. bundling.test.ts runs the real thing.
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/** Template assertions leave the cdk-nag checks to cdk-nag.test.ts, which runs them on the same app. */
export const WITHOUT_CHECKS = { complianceChecks: false } as const;

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

const resourcesOf = (template: Template): Resources => template.toJSON().Resources as Resources;

export const actionsOf = (statement: PolicyStatementJson): string[] => [statement.Action].flat();

export const resourcesOfStatement = (statement: PolicyStatementJson): unknown[] => (statement.Resource === undefined ? [] : [statement.Resource].flat());

/** Every identity-policy statement of a template: AWS::IAM::Policy documents and roles' inline policies. */
export function identityStatements(template: Template): PolicyStatementJson[] {
  return Object.values(resourcesOf(template)).flatMap((resource) => {
    if (resource.Type === 'AWS::IAM::Policy') return resource.Properties!.PolicyDocument.Statement;
    if (resource.Type === 'AWS::IAM::Role') return (resource.Properties!.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
    return [];
  });
}

/** The statements of every policy attached to one role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const attachedTo = (policy: Record<string, any>) => (policy.Roles ?? []).some((role: any) => role.Ref === roleLogicalId);
  const resources = resourcesOf(template);
  const inline = (resources[roleLogicalId]?.Properties?.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && attachedTo(r.Properties!))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement);
  return [...inline, ...attached];
}

/** The logical id a `{ "Fn::GetAtt": [id, "Arn"] }` or `{ Ref: id }` points at. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0] as string;
  }
  return undefined;
}

/** Full paths (`/v1/health`) of the REST API's resources, by logical id. */
export function resourcePaths(template: Template): Map<string, string> {
  const resources = Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === 'AWS::ApiGateway::Resource');
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known) return known;
    const props = resources.find(([logicalId]) => logicalId === id)![1].Properties!;
    // The parent is another resource (`Ref`) or the API's root (`Fn::GetAtt [api, RootResourceId]`).
    const parent: string | undefined = props.ParentId.Ref;
    const path = `${parent ? pathOf(parent) : ''}/${props.PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const [id] of resources) pathOf(id);
  return paths;
}

/** Every method of the REST API as `METHOD /path`, with the logical id of the function it invokes. */
export function apiMethods(template: Template): { endpoint: string; functionLogicalId: string | undefined; integrationType: string }[] {
  const paths = resourcePaths(template);
  return Object.values(resourcesOf(template))
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((r) => {
      const props = r.Properties!;
      const resourceId = referencedLogicalId(props.ResourceId);
      const path = resourceId && paths.has(resourceId) ? paths.get(resourceId)! : '/';
      const uriParts: unknown[] = props.Integration?.Uri?.['Fn::Join']?.[1] ?? [];
      const functionLogicalId = uriParts.map((part: any) => part?.['Fn::GetAtt']?.[0] as string | undefined).find((id) => id !== undefined);
      return { endpoint: `${props.HttpMethod} ${path}`, functionLogicalId, integrationType: props.Integration?.Type };
    });
}
