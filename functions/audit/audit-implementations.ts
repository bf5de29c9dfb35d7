import { AuditScopes } from '../kernel/audit/scopes';
import { verifyAuditChain } from '../kernel/audit/verifier';
import { implement, type BoundRoute, type OrgRouteContext } from '../kernel/http/implementation';
import { exportAuditRecords, queryAuditRecords, type AuditPage } from './audit-records';
import * as routes from './audit-routes';

/** Header naming the cursor of an export's next part; absent on the last part. */
export const NEXT_CURSOR_HEADER = 'Rampart-Next-Cursor';

/** Skipped items mean someone wrote into the audit keys outside the trail: worth an operator's look. */
const reportDropped = (ctx: OrgRouteContext, auditScope: string, page: AuditPage) => {
  if (page.dropped > 0) ctx.logger.warn('audit read skipped items that are not records of the scope', { auditScope, dropped: page.dropped });
};

export const auditImplementations: readonly BoundRoute[] = [
  implement(routes.listAuditRecords, async ({ query }, ctx) => {
    const auditScope = AuditScopes.org(ctx.org.scope);
    const { order, limit, cursor, ...filter } = query;
    const page = await queryAuditRecords(ctx.platform.table, auditScope, filter, { limit, ascending: order === 'oldest', ...(cursor ? { cursor } : {}) });
    reportDropped(ctx, auditScope, page);
    return { body: { records: page.records, ...(page.cursor ? { cursor: page.cursor } : {}) } };
  }),

  implement(routes.verifyAuditChain, async (_input, ctx) => ({ body: await verifyAuditChain(ctx.platform.table, AuditScopes.org(ctx.org.scope)) })),

  implement(routes.exportAuditChain, async ({ query }, ctx) => {
    const auditScope = AuditScopes.org(ctx.org.scope);
    const page = await exportAuditRecords(ctx.platform.table, auditScope, query.cursor);
    reportDropped(ctx, auditScope, page);
    return { lines: page.records, ...(page.cursor ? { headers: { [NEXT_CURSOR_HEADER]: page.cursor } } : {}) };
  }),
];
