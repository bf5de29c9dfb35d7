import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';

const OrgId = z.string().regex(/^o_[0-9a-f]{32}$/, 'Not an organization id.');

/** A key version as the API shows it: its number and dates, never key material (not even wrapped). */
const KeyVersionView = z.object({
  version: z.number(),
  createdAt: z.string().optional(),
  /** `sealing`: new values are sealed under it; `retiring`: it still opens values a re-seal has not reached. */
  state: z.enum(['sealing', 'retiring']),
});

export const KeyRotationView = z.object({
  keyVersion: z.number(),
  previousVersion: z.number(),
  status: z.enum(['resealing', 'complete']),
  startedAt: z.string(),
  startedBy: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
  resealed: z.number(),
  pass: z.number(),
});

export const OrgKeysView = z.object({
  sealingKeyVersion: z.number(),
  versions: z.array(KeyVersionView),
  rotation: KeyRotationView.optional(),
});

export const getOrgKeys = defineRoute({
  id: 'getOrgKeys',
  method: 'GET',
  path: '/v1/orgs/{orgId}/keys',
  domain: 'orgs',
  summary: "The organization key's versions (never key material) and the progress of the latest rotation",
  auth: { kind: 'permission', permission: 'keys:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 200, description: 'Key versions and rotation progress', schema: OrgKeysView },
  errors: [403, 404],
});

export const rotateOrgKey = defineRoute({
  id: 'rotateOrgKey',
  method: 'POST',
  path: '/v1/orgs/{orgId}/keys/rotate',
  domain: 'orgs',
  summary:
    'Rotates the organization key: new values are sealed under a new version at once, and existing ones are re-sealed in the background (follow it with GET …/keys). While a re-seal runs this is a 409; once it has stalled (15 minutes without progress) this resumes it',
  auth: { kind: 'permission', permission: 'keys:rotate' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: OrgId }) },
  success: { status: 202, description: 'The rotation, started or resumed', schema: KeyRotationView.extend({ resumed: z.boolean() }) },
  errors: [403, 404, 409],
});

export const orgKeyRoutes = [getOrgKeys, rotateOrgKey];
