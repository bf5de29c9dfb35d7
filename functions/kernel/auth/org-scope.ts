import { keyPart } from '../storage/keys';

declare const orgScopeBrand: unique symbol;

/**
 * Proof that the caller was authorized for one organization. Every key of tenant data is built
 * from an `OrgScope`, never from a bare id (`Keys.project(scope, …)`), so code that has not been
 * through the authorization chain cannot even name another tenant's items: forgetting the check is
 * a type error.
 */
export interface OrgScope {
  readonly orgId: string;
  readonly [orgScopeBrand]: true;
}

/**
 * Mints the proof. Only the authorization chain (`requireOrg`) and code acting for the platform
 * itself (org creation, background jobs keyed by an org they were handed) may call this; a test
 * keeps every other module from importing it.
 */
export function mintOrgScope(orgId: string): OrgScope {
  return Object.freeze({ orgId: keyPart(orgId) }) as OrgScope;
}
