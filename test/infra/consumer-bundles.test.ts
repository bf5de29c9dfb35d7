import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { EventRules } from '../../functions/kernel/events/rules';
import { PROJECT_ROOT } from '../../lib/paths';

/** What a consumer's bundle is built from (esbuild's metafile inputs), as the CDK builds it: ESM for Node.js. */
async function bundleInputs(domain: string): Promise<string[]> {
  const result = await build({
    entryPoints: [`${PROJECT_ROOT}/functions/${domain}/consumer.ts`],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // As DomainFunction bundles: the SDK comes with the runtime; native modules are never inlined.
    external: ['@aws-sdk/*', '@node-rs/*'],
    logLevel: 'silent',
  });
  return [...Object.keys(result.metafile.inputs), ...Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path))];
}

describe('event consumer bundles', () => {
  const domains = [...new Set(EventRules.map((rule) => rule.consumer.domain))];

  it.each(domains)('%s: builds as one ESM bundle', async (domain) => {
    expect((await bundleInputs(domain)).length).toBeGreaterThan(0);
  });

  // Passwords are hashed on the response path; the consumer only stores the hash. Its function is
  // built without native modules, so an import of argon2 would fail at its cold start on AWS.
  it('identity: does not load argon2 or the password module', async () => {
    const inputs = await bundleInputs('identity');
    expect(inputs).toContain('functions/identity/deferred-work-runner.ts');
    expect(inputs.filter((input) => /argon2|identity\/passwords\.ts/.test(input))).toEqual([]);
  });
});
