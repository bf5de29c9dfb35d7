import { describe, expect, it } from 'vitest';
import { idleCost, loadPrices, serviceCost, totalOf, type PriceTable } from './cost-model';

const prices = loadPrices();

/** A template with the resources an installation's idle cost is made of, by type and shape. */
const template = {
  Resources: {
    Nat1: { Type: 'AWS::EC2::NatGateway' },
    Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Scheme: 'internet-facing', Subnets: ['a', 'b'] } },
    EcrApi: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] } },
    EcrDkr: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] } },
    S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
    Key1: { Type: 'AWS::KMS::Key' },
    Key2: { Type: 'AWS::KMS::Key' },
    Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{}, {}, {}] } },
    Alarm: { Type: 'AWS::CloudWatch::Alarm' },
    Subnet: { Type: 'AWS::EC2::Subnet' },
  },
};

describe('idleCost', () => {
  const lines = idleCost([template], prices, { logsIngestedGbPerMonth: 1, logsStoredGb: 5 });
  const line = (item: string) => lines.find((l) => l.item.startsWith(item))!;

  it('counts what an idle installation pays for, by the hour where AWS bills by the hour', () => {
    expect(line('NAT gateways').monthly).toBe(32.85); // 730 h × $0.045
    expect(line('their public IPv4 addresses').monthly).toBe(3.65);
    expect(line('Application Load Balancers').monthly).toBe(16.43);
    expect(line('their public IPv4 addresses (one per AZ)')).toMatchObject({ count: 2, monthly: 7.3 });
    expect(line('interface VPC endpoints')).toMatchObject({ count: 4, monthly: 29.2 }); // 2 endpoints × 2 AZs
    expect(line('KMS keys').monthly).toBe(2);
    expect(line('WAF web ACLs').monthly).toBe(5);
    expect(line('WAF rules')).toMatchObject({ count: 3, monthly: 3 });
    expect(line('CloudWatch alarms').monthly).toBe(0.1);
    expect(line('platform logs').monthly).toBe(0.65);
    expect(totalOf(lines)).toBe(100.18);
  });

  it('charges nothing for what costs nothing idle (gateway endpoints, subnets), and shows its arithmetic', () => {
    expect(lines.map((l) => l.item).join(' ')).not.toMatch(/Gateway endpoint|Subnet/);
    expect(line('NAT gateways').arithmetic).toBe('1 × 730 h × $0.045');
  });

  it('drops the NAT lines without NAT gateways', () => {
    const withoutNat = { Resources: Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type !== 'AWS::EC2::NatGateway')) };
    expect(totalOf(idleCost([withoutNat], prices))).toBe(round(100.18 - 32.85 - 3.65));
  });

  it('refuses to guess a price the table does not have', () => {
    const partial: PriceTable = { ...prices, items: { ...prices.items, natGatewayHour: undefined as never } };
    delete (partial.items as Record<string, unknown>).natGatewayHour;
    expect(() => idleCost([template], partial)).toThrow(/natGatewayHour/);
  });
});

describe('serviceCost', () => {
  it('prices one ARM64 task all month, plus its secret', () => {
    expect(serviceCost(256, 512, prices)).toEqual({ cpu: 256, memory: 512, fargate: 7.21, secret: 0.4, total: 7.61 });
    expect(serviceCost(1024, 2048, prices).fargate).toBe(28.84);
  });

  it('refuses a size Fargate does not run', () => {
    expect(() => serviceCost(256, 4096, prices)).toThrow(/not a Fargate size/);
  });
});

function round(n: number) {
  return Math.round(n * 100) / 100;
}
