import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FargateMemoryByCpu } from '../../functions/projects/service-spec';

/**
 * The monthly cost of an installation at idle, read from its synthesized CloudFormation templates,
 * and of one running service per size (`npm run cost`, docs/runtime.md section 5). Prices come from
 * the dated table in docs/prices/aws-prices.json, with their sources; nothing here guesses a rate.
 */

export const HOURS_PER_MONTH = 730;

const PriceTable = z.object({
  region: z.string(),
  retrieved: z.string(),
  currency: z.string(),
  items: z.record(z.string(), z.object({ price: z.number(), unit: z.string(), source: z.string(), note: z.string().optional() })),
});
export type PriceTable = z.output<typeof PriceTable>;

export const PRICES_PATH = new URL('../../docs/prices/aws-prices.json', import.meta.url);

export const loadPrices = (path: URL = PRICES_PATH): PriceTable => PriceTable.parse(JSON.parse(readFileSync(path, 'utf8')));

/** What an idle installation's resources cost, before any request or task. */
export interface Assumptions {
  /** Log volume the platform itself writes a month (its functions, flow logs), in GB. */
  readonly logsIngestedGbPerMonth: number;
  /** Logs kept, in GB. */
  readonly logsStoredGb: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = { logsIngestedGbPerMonth: 1, logsStoredGb: 5 };

export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly arithmetic: string;
  readonly monthly: number;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Template = { Resources?: Record<string, Resource> };

const round2 = (n: number) => Math.round(n * 100) / 100;
const money = (n: number) => `$${n}`;

function resourcesOf(templates: readonly Template[], type: string): Resource[] {
  return templates.flatMap((t) => Object.values(t.Resources ?? {}).filter((r) => r.Type === type));
}

/** How many subnets (one per AZ) a resource spans: its SubnetIds, or its Subnets / SubnetMappings. */
function subnetCount(resource: Resource): number {
  const p = resource.Properties ?? {};
  const list = (p.SubnetIds ?? p.Subnets ?? p.SubnetMappings) as unknown;
  return Array.isArray(list) ? list.length : 1;
}

/**
 * The idle monthly cost of the resources in `templates`: NAT gateways (and their addresses), load
 * balancers (and one public address per AZ when internet-facing), interface endpoints per AZ, KMS
 * keys, web ACLs and their rules, alarms, hosted zones, secrets, and the platform's own logs at the
 * stated volume. Gateway endpoints, subnets, security groups, roles and the like cost nothing idle.
 */
export function idleCost(templates: readonly Template[], prices: PriceTable, assumptions: Assumptions = DEFAULT_ASSUMPTIONS): CostLine[] {
  const price = (name: string): number => {
    const item = prices.items[name];
    if (!item) throw new Error(`docs/prices/aws-prices.json has no ${name}`);
    return item.price;
  };
  const lines: CostLine[] = [];
  const hourly = (item: string, count: number, rate: string) => {
    if (count > 0) lines.push({ item, count, arithmetic: `${count} × ${HOURS_PER_MONTH} h × ${money(price(rate))}`, monthly: round2(count * HOURS_PER_MONTH * price(rate)) });
  };
  const monthly = (item: string, count: number, rate: string) => {
    if (count > 0) lines.push({ item, count, arithmetic: `${count} × ${money(price(rate))}`, monthly: round2(count * price(rate)) });
  };

  const nats = resourcesOf(templates, 'AWS::EC2::NatGateway').length;
  hourly('NAT gateways', nats, 'natGatewayHour');
  hourly('their public IPv4 addresses', nats, 'publicIpv4AddressHour');
  const albs = resourcesOf(templates, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter((r) => (r.Properties?.Type ?? 'application') === 'application');
  hourly('Application Load Balancers', albs.length, 'albHour');
  const publicAlbAddresses = albs.filter((r) => r.Properties?.Scheme !== 'internal').reduce((sum, r) => sum + subnetCount(r), 0);
  hourly('their public IPv4 addresses (one per AZ)', publicAlbAddresses, 'publicIpv4AddressHour');
  const interfaceEndpointAzs = resourcesOf(templates, 'AWS::EC2::VPCEndpoint')
    .filter((r) => r.Properties?.VpcEndpointType === 'Interface')
    .reduce((sum, r) => sum + subnetCount(r), 0);
  hourly('interface VPC endpoints × AZs', interfaceEndpointAzs, 'interfaceEndpointAzHour');
  monthly('KMS keys', resourcesOf(templates, 'AWS::KMS::Key').length, 'kmsKeyMonth');
  const acls = resourcesOf(templates, 'AWS::WAFv2::WebACL');
  monthly('WAF web ACLs', acls.length, 'wafWebAclMonth');
  monthly('WAF rules', acls.reduce((sum, r) => sum + ((r.Properties?.Rules as unknown[] | undefined)?.length ?? 0), 0), 'wafRuleMonth');
  monthly('CloudWatch alarms', resourcesOf(templates, 'AWS::CloudWatch::Alarm').length, 'cloudwatchAlarmMonth');
  monthly('Route 53 hosted zones', resourcesOf(templates, 'AWS::Route53::HostedZone').length, 'route53HostedZoneMonth');
  monthly('Secrets Manager secrets', resourcesOf(templates, 'AWS::SecretsManager::Secret').length, 'secretsManagerSecretMonth');
  const logs = assumptions.logsIngestedGbPerMonth * price('cloudwatchLogsIngestGb') + assumptions.logsStoredGb * price('cloudwatchLogsStorageGbMonth');
  lines.push({
    item: `platform logs (${assumptions.logsIngestedGbPerMonth} GB ingested, ${assumptions.logsStoredGb} GB kept)`,
    count: 1,
    arithmetic: `${assumptions.logsIngestedGbPerMonth} × ${money(price('cloudwatchLogsIngestGb'))} + ${assumptions.logsStoredGb} × ${money(price('cloudwatchLogsStorageGbMonth'))}`,
    monthly: round2(logs),
  });
  return lines;
}

export const totalOf = (lines: readonly CostLine[]): number => round2(lines.reduce((sum, line) => sum + line.monthly, 0));

export interface ServiceCost {
  readonly cpu: number;
  readonly memory: number;
  readonly fargate: number;
  /** The service's secret (one per service, whatever its number of variables). */
  readonly secret: number;
  readonly total: number;
}

/** One service running all month with one task of `cpu` units and `memory` MiB, on Linux/ARM64 (Graviton). */
export function serviceCost(cpu: number, memory: number, prices: PriceTable): ServiceCost {
  if (!FargateMemoryByCpu[cpu]?.includes(memory)) throw new Error(`cpu ${cpu} with memory ${memory} is not a Fargate size`);
  const vcpu = (cpu / 1024) * HOURS_PER_MONTH * prices.items.fargateLinuxArmVcpuHour!.price;
  const gb = (memory / 1024) * HOURS_PER_MONTH * prices.items.fargateLinuxArmGbHour!.price;
  const fargate = round2(vcpu + gb);
  const secret = prices.items.secretsManagerSecretMonth!.price;
  return { cpu, memory, fargate, secret, total: round2(fargate + secret) };
}
