import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../functions/kernel/http/error-renderer';
import { FALLBACK_RESOURCE } from '../../functions/kernel/http/resolve-route';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { DomainNativeModules } from '../../lib/api-stack';
import { createRampartApp, StackIds } from '../../lib/app';
import { DomainFunction } from '../../lib/constructs/domain-function';
import { DataStack } from '../../lib/data-stack';
import { DEFAULT_APP_URL } from '../../lib/app-url';
import { DEFAULT_MAIL, MailSender } from '../../lib/mail-sender';
import { PROJECT_ROOT } from '../../lib/paths';

const INVOKE_BUNDLE = fileURLToPath(new URL('./support/invoke-bundle.mjs', import.meta.url));
/** Holds `hashing/handler.ts`, a stand-in for the identity handler (functions/ has none yet). */
const FIXTURE_FUNCTIONS = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

/** ELF e_machine values (the two bytes at offset 18; every Lambda target is little-endian). */
const ELF_MACHINE = { aarch64: 0xb7, x86_64: 0x3e } as const;

function elfMachine(file: string): number | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return header.subarray(0, 4).toString('latin1') === '\x7fELF' ? header.readUInt16LE(18) : undefined;
}

/** The directory of a function's asset in the synthesized cloud assembly. */
function assetDirOf(assemblyDir: string, stack: Stack, fn: NodejsFunction): string {
  const code = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Code as { S3Key: string };
  return join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
}

/** Every `.node` file under a directory, relative to it. */
const nativeBinariesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((path) => path.endsWith('.node'))
    .sort();

/** Every `.node` file under a directory with the machine its ELF header names. */
const nativeBinariesWithMachine = (dir: string): [string, number | undefined][] => nativeBinariesUnder(dir).map((path) => [path, elfMachine(join(dir, path))]);

const ARGON2_ARM64_BINARY = '@node-rs/argon2-linux-arm64-gnu/argon2.linux-arm64-gnu.node';

/**
 * The only tests that run esbuild: the API stack is bundled for real (the other stacks are not),
 * so a bundle that fails to build, or builds but cannot load as ESM on Node.js, fails here.
 */
describe('API function bundles', () => {
  let bundleDir: string;
  let identityBundleDir: string;
  let rotatorBundleDir: string;

  beforeAll(() => {
    const { app, api } = createRampartApp({ context: { 'aws:cdk:bundling-stacks': [StackIds.api] } }, { complianceChecks: false });
    const assembly = app.synth();
    bundleDir = assetDirOf(assembly.directory, api, api.functions.get('platform')!.function);
    identityBundleDir = assetDirOf(assembly.directory, api, api.functions.get('identity')!.function);
    rotatorBundleDir = assetDirOf(assembly.directory, api, api.signingKeyRotation.rotator.function);
  }, 120_000);

  it('gives the identity function @node-rs/argon2 with its Linux arm64 binary and no other', () => {
    expect(nativeBinariesWithMachine(join(identityBundleDir, 'node_modules'))).toEqual([[ARGON2_ARM64_BINARY, ELF_MACHINE.aarch64]]);
  });

  it('is an ES module bundle with its source map', () => {
    expect(existsSync(join(bundleDir, 'index.mjs'))).toBe(true);
    expect(statSync(join(bundleDir, 'index.mjs')).size).toBeGreaterThan(10_000);
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
  });

  it('carries no node_modules: only domains that load a native module pay for one', () => {
    expect(DomainNativeModules.platform).toBeUndefined();
    expect(existsSync(join(bundleDir, 'node_modules'))).toBe(false);
  });

  it('bundles the signing-key rotator without node_modules (it hashes no password), loadable as ESM in plain Node.js', () => {
    expect(existsSync(join(rotatorBundleDir, 'node_modules'))).toBe(false);
    const load = 'const { handler } = await import(process.argv[1]); console.log(typeof handler);';
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', load, join(rotatorBundleDir, 'index.mjs')], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(output.trim()).toBe('function');
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

/**
 * A function of a domain that hashes passwords, bundled with the identity domain's native modules:
 * the asset must carry @node-rs/argon2's binary for Lambda (Linux arm64, glibc) whatever machine
 * runs the synth, and only that one.
 */
describe('bundle of a function with a native module (@node-rs/argon2)', () => {
  let bundleDir: string;
  let modulesDir: string;

  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': ['Hashing'] } });
    const data = new DataStack(app, 'Data', { stage: 'test' });
    const stack = new Stack(app, 'Hashing');
    const bus = new events.EventBus(stack, 'Bus');
    const hashing = new DomainFunction(stack, 'HashingFunction', {
      domain: 'hashing',
      kind: 'handler',
      platform: { table: data.table, rootKey: data.rootKey, piiKey: data.piiKey, bus, version: '0.0.0-test', mail: new MailSender(DEFAULT_MAIL), appUrl: DEFAULT_APP_URL },
      functionsDir: FIXTURE_FUNCTIONS,
      nativeModules: DomainNativeModules.identity,
    });
    bundleDir = assetDirOf(app.synth().directory, stack, hashing.function);
    modulesDir = join(bundleDir, 'node_modules');
  }, 120_000);

  it('installs the Linux arm64 glibc binary: an AArch64 ELF object', () => {
    expect(elfMachine(join(modulesDir, ARGON2_ARM64_BINARY))).toBe(ELF_MACHINE.aarch64);
  });

  it('carries no other binary, in particular not the x64 one of the build machine', () => {
    expect(readdirSync(join(modulesDir, '@node-rs')).sort()).toEqual(['argon2', 'argon2-linux-arm64-gnu']);
    expect(nativeBinariesWithMachine(modulesDir)).toEqual([[ARGON2_ARM64_BINARY, ELF_MACHINE.aarch64]]);
    expect(nativeBinariesWithMachine(modulesDir).filter(([, machine]) => machine === ELF_MACHINE.x86_64)).toEqual([]);
  });

  it('installs the version the lock file pins', () => {
    const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    for (const name of ['@node-rs/argon2', '@node-rs/argon2-linux-arm64-gnu']) {
      const installed = JSON.parse(readFileSync(join(modulesDir, name, 'package.json'), 'utf8')) as { version: string };
      expect(installed.version, name).toBe(lock.packages[`node_modules/${name}`]!.version);
    }
  });

  it('leaves @node-rs/argon2 out of the esbuild bundle, and the bundle hashes and verifies with it', () => {
    expect(readFileSync(join(bundleDir, 'index.mjs'), 'utf8')).toMatch(/from\s*"@node-rs\/argon2"/);
    // The asset's binary is arm64; the build machine's own binary stands in for it so that the
    // bundle can run here (the loader takes an explicit path first).
    const hostModulesDir = join(PROJECT_ROOT, 'node_modules');
    const [hostBinary] = nativeBinariesUnder(join(hostModulesDir, '@node-rs')).filter((path) => path.startsWith('argon2-'));
    const invoke = 'const { handler } = await import(process.argv[1]); console.log(JSON.stringify(await handler({ password: process.argv[2] })));';
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', invoke, join(bundleDir, 'index.mjs'), 'correct horse battery staple'], {
      env: { PATH: process.env.PATH, NAPI_RS_NATIVE_LIBRARY_PATH: join(hostModulesDir, '@node-rs', hostBinary!) },
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({ policy: { ok: true }, stored: expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/), verified: true });
  });
});
