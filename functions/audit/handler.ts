import { createApiHandler } from '../kernel/http/api-handler';
import { auditImplementations } from './audit-implementations';

/** The audit function: an organization's audit trail, read, verified and exported. */
export const handler = createApiHandler('audit', auditImplementations);
