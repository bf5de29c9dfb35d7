/**
 * The domains of Rampart, in one place: each is one Lambda function of its own (its own role, so
 * IAM stays per domain). The CDK stacks, the local gateway and the route table all read this list.
 */

/** Domains that serve API routes. `platform` also answers unknown paths and methods (404/405). */
export const ApiDomains = ['platform', 'identity', 'orgs', 'projects', 'audit'] as const;
export type Domain = (typeof ApiDomains)[number];

/**
 * Domains that run no API routes, only event consumers and jobs: `deploy` opens environment values
 * for deployments and re-seals them when an organization key rotates.
 */
export const BackgroundDomains = ['deploy'] as const;
export type BackgroundDomain = (typeof BackgroundDomains)[number];

export type AnyDomain = Domain | BackgroundDomain;

/** The domain that answers what no route declares. */
export const FALLBACK_DOMAIN: Domain = 'platform';
