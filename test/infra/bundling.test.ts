import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../functions/kernel/http/error-renderer';
import { FALLBACK_RESOURCE } from '../../functions/kernel/http/api-handler';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { createRampartApp, StackIds } from '../../lib/app';

const INVOKE_BUNDLE = fileURLToPath(new URL('./support/invoke-bundle.mjs', import.meta.url));

/**
 * The only test that runs esbuild: the API stack is bundled for real (the other stacks are not),
 * so a bundle that fails to build, or builds but cannot load as ESM on Node.js, fails here.
 */
describe('platform function bundle', () => {
  let bundleDir: string;

  beforeAll(() => {
    const { app, api } = createRampartApp({ context: { 'aws:cdk:bundling-stacks': [StackIds.api] } }, { complianceChecks: false });
    const assembly = app.synth();
    const fnId = api.getLogicalId(api.functions.get('platform')!.function.node.defaultChild as never);
    const code = Template.fromStack(api).toJSON().Resources[fnId].Properties.Code as { S3Key: string };
    bundleDir = join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  }, 120_000);

  it('is an ES module bundle with its source map', () => {
    expect(existsSync(join(bundleDir, 'index.mjs'))).toBe(true);
    expect(statSync(join(bundleDir, 'index.mjs')).size).toBeGreaterThan(10_000);
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
  });

  it('loads in plain Node.js and answers unknown paths (404) and other methods (405) with the error body', () => {
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      [PlatformEnv.tableName]: 'bundle-test',
      [PlatformEnv.rootKeyArn]: 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000',
      [PlatformEnv.eventBusName]: 'bundle-test',
      [PlatformEnv.version]: '0.0.0-test',
    };
    const requests = [
      [FALLBACK_RESOURCE, '/nowhere', 'GET'],
      ['/v1/health', '/v1/health', 'DELETE'],
    ];
    const output = execFileSync(process.execPath, [INVOKE_BUNDLE, join(bundleDir, 'index.mjs'), JSON.stringify(requests)], { env, encoding: 'utf8' });
    const responses = output.trim().split('\n').map((line) => JSON.parse(line) as { statusCode: number; body: unknown });
    expect(responses.map((r) => r.statusCode)).toEqual([404, 405]);
    expect(responses.map((r) => ErrorBody.parse(r.body).error.code)).toEqual(['not_found', 'method_not_allowed']);
  });
});
