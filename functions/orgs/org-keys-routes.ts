import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { Ids } from '../kernel/ids';
import { KeyRotationView, OrgKeysView } from './org-keys';

export const getOrgKeys = defineRoute({
  id: 'getOrgKeys',
  method: 'GET',
  path: '/v1/orgs/{orgId}/keys',
  domain: 'orgs',
  summary: "Gets the organization key's versions and rotation progress",
  description: "The versions of the organization's key (never key material, not even wrapped) and the progress of its latest rotation. Owners and admins may.",
  auth: { kind: 'permission', permission: 'keys:read' },
  rateLimit: 'general',
  request: { params: z.object({ orgId: Ids.org.schema }) },
  success: { status: 200, description: 'Key versions and rotation progress', schema: OrgKeysView },
  errors: [403, 404],
});

export const rotateOrgKey = defineRoute({
  id: 'rotateOrgKey',
  method: 'POST',
  path: '/v1/orgs/{orgId}/keys/rotate',
  domain: 'orgs',
  summary: 'Rotates the organization key',
  description:
    'New values are sealed under a new key version at once; existing ones are re-sealed in the background (follow it with GET …/keys). Refused (409) while a re-seal runs; once it has stalled (15 minutes without progress) this resumes it.',
  auth: { kind: 'permission', permission: 'keys:rotate' },
  rateLimit: 'action',
  request: { params: z.object({ orgId: Ids.org.schema }) },
  success: { status: 202, description: 'The rotation, started or resumed', schema: KeyRotationView.extend({ resumed: z.boolean() }) },
  errors: [403, 404, 409],
});

export const orgKeyRoutes = [getOrgKeys, rotateOrgKey] as const;
