import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Permissions, Roles } from '../auth/permissions';
import { Ids } from '../ids';

/**
 * Audit records are immutable and read by tenants, so they name a session by the SHA-256 of its id
 * (as OWASP advises for logs), never by the id itself, which logs redact as a secret.
 */
export const sessionHash = (sessionId: string): string => createHash('sha256').update(sessionId, 'utf8').digest('hex');
const sessionHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a session is recorded by sessionHash(sessionId)');

/** A signing key is recorded by its kid: a public identifier (it is in every token header and the JWKS). */
const signingKeyIdSchema = Ids.signingKey.schema;
const projectIdSchema = Ids.project.schema;
const serviceIdSchema = Ids.service.schema;
const role = z.enum(Roles);
/** Routes are recorded by their id (the OpenAPI operationId). */
const routeIdSchema = z.string().regex(/^[A-Za-z0-9]{1,64}$/);

/** An environment variable is recorded by its level, owner, name and version: never its value. */
const envVariableSchema = z.strictObject({
  level: z.enum(['project', 'service']),
  projectId: projectIdSchema,
  serviceId: serviceIdSchema.optional(),
  name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).max(255),
  version: z.number().int().min(1),
});

/** An API key is recorded by its key id: public, unlike its secret, which is never recorded. */
const apiKeyIdSchema = Ids.apiKey.schema;

/**
 * The closed catalogue of audited actions, each with the schema of its metadata. Metadata holds
 * identifiers and facts only (never a secret value, token, password or PII): schemas are strict, so
 * an extra field is refused at write time rather than stored.
 */
export const AuditActions = {
  // Identity (user:<id> scope).
  'user.signed_up': z.strictObject({ method: z.enum(['password']) }),
  'user.email_verified': z.strictObject({}),
  'user.login_succeeded': z.strictObject({ sessionHash: sessionHashSchema, mfa: z.boolean() }),
  'user.login_failed': z.strictObject({ reason: z.enum(['invalid_credentials', 'email_not_verified', 'mfa_failed', 'locked']) }),
  'user.password_changed': z.strictObject({ via: z.enum(['change', 'reset']), sessionsRevoked: z.number().int().min(0) }),
  'user.mfa_enabled': z.strictObject({ method: z.enum(['totp']) }),
  'user.mfa_disabled': z.strictObject({ method: z.enum(['totp']) }),
  'user.session_revoked': z.strictObject({ sessionHash: sessionHashSchema, reason: z.enum(['logout', 'revoked', 'password_changed', 'refresh_reuse']) }),
  'user.refresh_token_reused': z.strictObject({ sessionHash: sessionHashSchema }),
  'user.profile_updated': z.strictObject({ fields: z.array(z.enum(['name'])).min(1) }),
  'user.password_reset_requested': z.strictObject({}),
  // A signup for an address that has an account: an unverified account takes the new signup's
  // password and name (whoever proves the mailbox ends up holding the account); a verified one is untouched.
  'user.signup_repeated': z.strictObject({ pendingReplaced: z.boolean() }),
  // Too many wrong second-factor codes: the second step is locked for `lockedForSeconds`.
  'user.mfa_locked': z.strictObject({ failures: z.number().int().min(1), lockedForSeconds: z.number().int().min(1) }),
  'user.recovery_code_used': z.strictObject({ remaining: z.number().int().min(0) }),
  // The account's data key was deleted with its profile, sessions and factor: counts only.
  'user.deleted': z.strictObject({ organizationsLeft: z.number().int().min(0), sessionsEnded: z.number().int().min(0) }),
  // Organizations (org:<id> scope).
  'org.created': z.strictObject({}),
  'org.updated': z.strictObject({ fields: z.array(z.enum(['name'])).min(1) }),
  'org.deleted': z.strictObject({}),
  'org.key_rotated': z.strictObject({ keyVersion: z.number().int().min(2), previousVersion: z.number().int().min(1) }),
  'org.key_rotation_resumed': z.strictObject({ keyVersion: z.number().int().min(2), resealed: z.number().int().min(0) }),
  'org.key_rotation_completed': z.strictObject({ keyVersion: z.number().int().min(2), resealed: z.number().int().min(0), retiredVersions: z.array(z.number().int().min(1)) }),
  'member.added': z.strictObject({ role: role, via: z.enum(['creation', 'invitation']) }),
  'member.role_changed': z.strictObject({ from: role, to: role }),
  // `via: account_deleted`: the member deleted their account (actor and target are that user).
  // `keysRevoked`: the API keys the member had created in the organization, revoked with the membership.
  'member.removed': z.strictObject({ role: role, via: z.enum(['account_deleted']).optional(), keysRevoked: z.number().int().min(0).optional() }),
  // API keys (org:<id> scope); the target is the key. Reads with a key are recorded at most once a minute.
  'apikey.created': z.strictObject({ keyId: apiKeyIdSchema, name: z.string().max(100), role: role, projectCount: z.number().int().min(0).optional() }),
  'apikey.revoked': z.strictObject({ keyId: apiKeyIdSchema }),
  'apikey.used': z.strictObject({ keyId: apiKeyIdSchema, route: routeIdSchema }),
  // A member (or key) refused a permission: recorded with outcome `denied`, a bounded number an hour.
  // `reason: project_restricted_key`: a key restricted to projects on an organization-wide route (its role would allow it).
  'access.denied': z.strictObject({ route: routeIdSchema, permission: z.enum(Permissions), role, reason: z.enum(['project_restricted_key']).optional() }),
  'invitation.created': z.strictObject({ invitationId: Ids.invitation.schema, role: role }),
  'invitation.revoked': z.strictObject({ invitationId: Ids.invitation.schema }),
  // Projects and services (org:<id> scope); the target is the project or service.
  'project.created': z.strictObject({ name: z.string().max(63) }),
  'project.updated': z.strictObject({ fields: z.array(z.enum(['name', 'description'])).min(1), version: z.number().int().min(2) }),
  'project.deleted': z.strictObject({}),
  'service.created': z.strictObject({ projectId: projectIdSchema, name: z.string().max(63), type: z.enum(['web', 'database', 'cache', 'worker']) }),
  'service.updated': z.strictObject({
    projectId: projectIdSchema,
    fields: z.array(z.enum(['type', 'source', 'cpu', 'memory', 'port', 'replicas', 'healthCheckPath', 'egress', 'public'])).min(1),
    version: z.number().int().min(2),
  }),
  'service.deleted': z.strictObject({ projectId: projectIdSchema }),
  // Environment variables (org:<id> scope); the target is the project or service. Names are not
  // secret; a value is never recorded, nor anything derived from it.
  'env.set': envVariableSchema,
  'env.deleted': envVariableSchema,
  'env.imported': z.strictObject({ projectId: projectIdSchema, serviceId: serviceIdSchema.optional(), count: z.number().int().min(1) }),
  // Platform scope.
  'platform.audit_verified': z.strictObject({ scope: z.string().max(200), ok: z.boolean(), checked: z.number().int().min(0) }),
  'platform.signing_key_rotated': z.strictObject({ kid: signingKeyIdSchema, previousKid: signingKeyIdSchema.optional() }),
  'platform.signing_key_created': z.strictObject({ kid: signingKeyIdSchema }),
  // The root key id is an ARN (or a local key's fingerprint): public, not key material.
  'platform.email_index_key_created': z.strictObject({ rootKeyId: z.string().max(2048) }),
} as const;

export type AuditAction = keyof typeof AuditActions;
export type AuditMetadata<A extends AuditAction> = z.input<(typeof AuditActions)[A]>;

export const isAuditAction = (value: string): value is AuditAction => Object.hasOwn(AuditActions, value);
