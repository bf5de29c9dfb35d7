import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimumRole, Permissions, ProjectKeyOrgWidePermissions, projectKeyMayUse, roleAllows, RoleRank, Roles } from './permissions';

const DOC = resolve(import.meta.dirname, '../../../docs/authorization.md');

/** The matrix rows of docs/authorization.md, each as its cells (permission first). */
function documentedRows(): string[][] {
  const doc = readFileSync(DOC, 'utf8');
  const table = doc.slice(doc.indexOf('<!-- permission-matrix:start -->'), doc.indexOf('<!-- permission-matrix:end -->'));
  return table
    .split('\n')
    .filter((l) => /^\| [a-z]+:[a-z]+ \|/.test(l))
    .map((row) => row.split('|').slice(1, -1).map((c) => c.trim()));
}

describe('permissions', () => {
  it('is monotonic: a higher role holds everything a lower one does', () => {
    for (const permission of Permissions) {
      for (const lower of Roles) {
        for (const higher of Roles.filter((r) => RoleRank[r] > RoleRank[lower])) {
          if (roleAllows(lower, permission)) expect(roleAllows(higher, permission), `${higher} ⊇ ${lower} for ${permission}`).toBe(true);
        }
      }
    }
  });

  it('keeps admin below owner and viewers read-only', () => {
    expect(roleAllows('admin', 'org:delete')).toBe(false);
    expect(Permissions.filter((p) => roleAllows('viewer', p)).every((p) => p.endsWith(':read'))).toBe(true);
    expect(minimumRole('audit:read')).toBe('admin');
  });

  it('matches the table in docs/authorization.md', () => {
    const documented = Object.fromEntries(documentedRows().map((cells) => [cells[0], Roles.filter((_, i) => cells[i + 1] === '✓')]));
    const actual = Object.fromEntries(Permissions.map((p) => [p, Roles.filter((r) => roleAllows(r, p))]));
    expect(documented).toEqual(actual);
  });

  it("matches the doc's project-key column: only org:read and projects:read outside the key's projects", () => {
    const documented = documentedRows()
      .filter((cells) => cells[Roles.length + 1] === '✓')
      .map((cells) => cells[0]);
    expect(documented).toEqual(Permissions.filter((p) => ProjectKeyOrgWidePermissions.has(p)));
    expect([...ProjectKeyOrgWidePermissions].sort()).toEqual(['org:read', 'projects:read']);
    // On a route that names one of its projects, the role decides.
    expect(Permissions.every((p) => projectKeyMayUse(p, true))).toBe(true);
    expect(projectKeyMayUse('invitations:manage', false)).toBe(false);
  });
});
