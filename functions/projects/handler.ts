import { createApiHandler } from '../kernel/http/api-handler';
import { envImplementations } from './env-implementations';
import { projectImplementations } from './projects-implementations';
import { serviceImplementations } from './services-implementations';

/** The projects function: projects of an organization, their services, and the environment variables of both. */
export const handler = createApiHandler('projects', [...projectImplementations, ...serviceImplementations, ...envImplementations]);
