import { verifyAuditChain } from '../kernel/audit/verifier';
import { createApiHandler } from '../kernel/http/api-handler';
import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { exportAuditRecords, orgAuditScope, queryAuditRecords, type AuditPage } from './queries';
import * as routes from './routes';


/** Header naming the cursor of an export's next part; absent on the last part. */
export const NEXT_CURSOR_HEADER = 'Rampart-Next-Cursor';

/** Skipped items mean someone wrote into the audit keys outside the trail: worth an operator's look. */
const reportDropped = (ctx: AnyRouteContext, auditScope: string, page: AuditPage) => {
  if (page.dropped > 0) ctx.logger.warn('audit read skipped items that are not records of the scope', { auditScope, dropped: page.dropped });
};

/** The audit function: an organization's audit trail, read, verified and exported. */
export const handler = createApiHandler('audit', [
    implement(routes.listAuditRecords, async ({ query }, ctx) => {
      const auditScope = orgAuditScope(ctx.org.scope);
      const { order, limit, cursor, ...filter } = query;
      const page = await queryAuditRecords(ctx.platform.table, auditScope, filter, { limit, ascending: order === 'oldest', ...(cursor ? { cursor } : {}) });
      reportDropped(ctx, auditScope, page);
      return { body: { records: page.records, ...(page.cursor ? { cursor: page.cursor } : {}) } };
    }),

    implement(routes.verifyAuditChain, async (_input, ctx) => {
      const result = await verifyAuditChain(ctx.platform.table, orgAuditScope(ctx.org.scope));
      return { body: result };
    }),

    implement(routes.exportAuditChain, async ({ query }, ctx) => {
      const auditScope = orgAuditScope(ctx.org.scope);
      const page = await exportAuditRecords(ctx.platform.table, auditScope, query.cursor);
      reportDropped(ctx, auditScope, page);
      return { lines: page.records, ...(page.cursor ? { headers: { [NEXT_CURSOR_HEADER]: page.cursor } } : {}) };
    }),
  ]);
