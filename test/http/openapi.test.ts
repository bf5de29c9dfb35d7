import { Validator } from '@seriousme/openapi-schema-validator';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/platform/openapi';
import { routeTable } from '../../functions/routes';

const require = createRequire(import.meta.url);

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument(routeTable, '1.2.3');

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route of the route table with its operation id, auth and rate-limit class', () => {
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const route of routeTable) {
      const op = paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op!.operationId).toBe(route.id);
      expect(op!['x-rampart-auth']).toEqual(route.auth);
      expect(op!['x-rampart-rate-limit']).toBe(route.rateLimit);
    }
    const operations = Object.values(paths).flatMap((p) => Object.keys(p));
    expect(operations.length).toBe(routeTable.length);
  });

  it('documents a JSON Lines export under its own content type, and JSON everywhere else', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    expect(Object.keys(paths['/v1/orgs/{orgId}/audit/export']!.get!.responses['200']!.content!)).toEqual(['application/x-ndjson']);
    expect(Object.keys(paths['/v1/orgs/{orgId}/audit']!.get!.responses['200']!.content!)).toEqual(['application/json']);
  });

  it('documents the shared error shape', () => {
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    expect(JSON.stringify(schemas.Error)).toContain('requestId');
  });
});

/** Runs a linter's command-line entry on the document, with the Node that runs the tests. */
function lint(bin: string, args: (file: string, dir: string) => string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(buildOpenApiDocument(routeTable, '1.2.3')));
  writeFileSync(join(dir, '.spectral.json'), JSON.stringify({ extends: ['spectral:oas'] }));
  const out = spawnSync(process.execPath, [bin, ...args(file, dir)], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const binOf = (pkg: string, name: string): string => {
  const manifest = require.resolve(`${pkg}/package.json`);
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin;
  return join(dirname(manifest), bins[name]!);
};

describe('OpenAPI document for linters and generators', () => {
  it("passes Redocly's recommended ruleset with no error and no warning", () => {
    const out = lint(binOf('@redocly/cli', 'redocly'), (file) => ['lint', file, '--extends=recommended', '--format=json']);
    const report = JSON.parse(out.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it("passes Spectral's spectral:oas ruleset with no error and no warning", () => {
    const out = lint(binOf('@stoplight/spectral-cli', 'spectral'), (file, dir) => ['lint', file, '--ruleset', join(dir, '.spectral.json'), '--format', 'json', '--quiet']);
    const results = JSON.parse(out.stdout || '[]') as { code: string; message: string; path: string[] }[];
    expect(results.map((r) => `${r.code}: ${r.message} (${r.path.join('.')})`)).toEqual([]);
  });

  it('names every request and response body as a component schema, and describes every operation', () => {
    const document = buildOpenApiDocument(routeTable, '1.2.3') as {
      paths: Record<string, Record<string, { description?: string; requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const anonymous: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const bodies = [...Object.values(op.requestBody?.content ?? {}), ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}))];
        for (const body of bodies) {
          const name = body.schema.$ref?.replace('#/components/schemas/', '');
          if (!name || !(name in document.components.schemas)) anonymous.push(`${method.toUpperCase()} ${path}`);
        }
        if (!op.description) anonymous.push(`${method.toUpperCase()} ${path} has no description`);
      }
    }
    expect(anonymous).toEqual([]);
  });
});
