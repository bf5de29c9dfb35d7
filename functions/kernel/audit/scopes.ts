import type { OrgScope } from '../auth/org-scope';

/**
 * The chains of the audit trail: one per organization (from its authorized scope, never from
 * input), one per person, and the platform's own.
 */
export const AuditScopes = {
  org: (scope: OrgScope): string => `org:${scope.orgId}`,
  user: (userId: string): string => `user:${userId}`,
  platform: 'platform',
} as const;
