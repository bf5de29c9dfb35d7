import { z } from 'zod';
import { can, defineRoute } from '../kernel/http/route';
import { OrgParams } from '../kernel/http/schemas';
import { KeyRotationView, OrgKeysView } from './org-keys';

/** The rotation, and whether this call resumed a stalled one rather than starting it. */
const StartedRotation = KeyRotationView.extend({ resumed: z.boolean() });

export const getOrgKeys = defineRoute({
  id: 'getOrgKeys',
  method: 'GET',
  path: '/v1/orgs/{orgId}/keys',
  domain: 'orgs',
  summary: "Gets the organization key's versions and rotation progress",
  description: "The versions of the organization's key (never key material, not even wrapped) and the progress of its latest rotation. Owners and admins may.",
  auth: can('keys:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'Key versions and rotation progress',
    schema: OrgKeysView,
  },
});

export const rotateOrgKey = defineRoute({
  id: 'rotateOrgKey',
  method: 'POST',
  path: '/v1/orgs/{orgId}/keys/rotate',
  domain: 'orgs',
  summary: 'Rotates the organization key',
  description: 'New values are sealed under a new key version at once; existing ones are re-sealed in the background (follow it with GET …/keys). Refused (409) while a re-seal runs; once it has stalled (15 minutes without progress) this resumes it.',
  auth: can('keys:rotate'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
  },
  success: {
    status: 202,
    description: 'The rotation, started or resumed',
    schema: StartedRotation,
  },
  errors: [409],
});

export const orgKeyRoutes = [getOrgKeys, rotateOrgKey] as const;
