import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orgItemKey, orgPartition } from '../storage/keys';
import { mintOrgScope } from './org-scope';

const FUNCTIONS = resolve(import.meta.dirname, '../..');

/**
 * Modules allowed to mint an OrgScope: the authorization chain, creating an organization, accepting
 * an invitation, and the deploy path's consumer acting on an event that names its organization.
 */
const MINTERS = new Set(['kernel/auth/org-scope.ts', 'kernel/auth/authorize.ts', 'kernel/tenancy/memberships.ts', 'orgs/organizations.ts', 'orgs/invitations.ts', 'deploy/consumer.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('OrgScope', () => {
  it('builds tenant keys only under the organization partition', () => {
    const scope = mintOrgScope('o_123');
    expect(orgPartition(scope)).toBe('ORG#o_123');
    expect(orgItemKey(scope, 'PROJECT', 'p_1')).toEqual({ pk: 'ORG#o_123', sk: 'PROJECT#p_1' });
  });

  it('cannot be replaced by a bare organization id', () => {
    // @ts-expect-error a string is not proof of authorization
    const attempt = () => orgPartition('o_123');
    expect(attempt).toBeTypeOf('function');
    // @ts-expect-error nor is an object that merely looks like one
    const lookalike = () => orgPartition({ orgId: 'o_123' });
    expect(lookalike).toBeTypeOf('function');
  });

  it('refuses ids that would reach into another key space', () => {
    for (const id of ['', 'o#1', 'o_1#PROJECT', 'a/b', 'x'.repeat(256)]) expect(() => mintOrgScope(id), id).toThrow();
    expect(() => orgItemKey(mintOrgScope('o_1'), 'PROJECT', 'p#2')).toThrow();
  });

  it('is minted only by the authorization chain', () => {
    const offenders = sourceFiles(FUNCTIONS)
      .map((path) => relative(FUNCTIONS, path))
      .filter((path) => !MINTERS.has(path))
      .filter((path) => /\bmintOrgScope\b/.test(readFileSync(join(FUNCTIONS, path), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
