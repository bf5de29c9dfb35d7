import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRampartApp } from '../../lib/app';
import { SKIP_BUNDLING } from './support/templates';

/**
 * cdk-nag 3 is a CDK policy-validation plugin: on synth it walks the construct tree, drops findings
 * acknowledged with `Validations.of(construct).acknowledge({ id, reason })` on the resource or an
 * ancestor, and reports the rest. Any finding (error or warning) makes synth throw the report and
 * writes it to `validation-report.json` in the cloud assembly.
 */
describe('cdk-nag AwsSolutions checks', () => {
  let built: ReturnType<typeof createRampartApp>;
  let assemblyDir: string | undefined;
  let synthError: unknown;

  beforeAll(() => {
    // The app exactly as `cdk synth` builds it: the checks are registered by buildApp.
    built = createRampartApp({ context: SKIP_BUNDLING });
    try {
      assemblyDir = built.app.synth().directory;
    } catch (error) {
      synthError = error; // the message is the report: shown by the first test
    }
  });

  it('synthesizes with the checks registered by buildApp and reports no finding', () => {
    expect(synthError === undefined ? undefined : String(synthError)).toBeUndefined();
    const report = JSON.parse(readFileSync(join(assemblyDir!, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('finds nothing unacknowledged in any stack, errors and warnings alike', () => {
    const { violations } = new AwsSolutionsChecks().validateScope(built.app);
    const findings = violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });

  it('fails the synth, naming the rule, when a finding is left unacknowledged', () => {
    const { app, api } = createRampartApp({ context: SKIP_BUNDLING });
    new sqs.Queue(api, 'QueueWithoutTls'); // no enforceSSL, no dead-letter queue
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('gives every acknowledgement a reason written in the code', () => {
    const acknowledgements = built.app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ at: construct.node.path, id, reason }))),
      );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { at, id, reason } of acknowledgements) {
      expect(typeof reason, `${id} at ${at}`).toBe('string');
      expect(reason.trim().length, `${id} at ${at} needs a reason`).toBeGreaterThanOrEqual(40);
    }
  });

  it('acknowledges exactly the reviewed rules (a new acknowledgement must be reviewed here)', () => {
    const ids = new Set(
      built.app.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((e) => Object.keys(e.data as Record<string, string>).map((k) => k.replace(/^annotation::/i, ''))),
    );
    expect([...ids].sort()).toEqual(['AwsSolutions-APIG2', 'AwsSolutions-APIG4', 'AwsSolutions-COG4', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-SQS3']);
  });
});
