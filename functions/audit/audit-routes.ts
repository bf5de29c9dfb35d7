import { z } from 'zod';
import { AuditActions, type AuditAction } from '../kernel/audit/catalogue';
import { AuditRecord } from '../kernel/audit/record';
import { NDJSON, can, defineRoute } from '../kernel/http/route';
import { Cursor, OrgParams, pageOf, PageQuery } from '../kernel/http/schemas';

/** The closed catalogue: an action the trail never records is a 400, not an empty page. */
const Action = z.enum(Object.keys(AuditActions) as [AuditAction, ...AuditAction[]]);
const Instant = z.iso.datetime({ offset: true });

/** One record as read back: everything its hash covers, so a reader can recompute the chain. */
const RecordView = AuditRecord.meta({ id: 'AuditRecord' });

const RecordQuery = PageQuery.extend({
  action: Action.optional(),
  actor: z.string().min(1).max(128).optional(),
  target: z.string().min(1).max(128).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  order: z.enum(['newest', 'oldest']).default('newest'),
});
const ExportQuery = z.object({ cursor: Cursor.optional() });
const RecordPage = pageOf('records', RecordView);

/** How many records were checked and, when the chain breaks, the first broken link. */
const ChainVerification = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  headHash: z.string().optional(),
  brokenAt: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
});


export const listAuditRecords = defineRoute({
  id: 'listAuditRecords',
  method: 'GET',
  path: '/v1/orgs/{orgId}/audit',
  domain: 'audit',
  summary: "Lists the organization's audit records, filtered, a page at a time",
  description: 'Lists the records of the organization\'s audit chain to a caller holding audit:read, newest first unless order=oldest, filtered by action, actor, target and time window. An action outside the catalogue, or a cursor that does not fit the query (another organization, another action), is a 400.',
  auth: can('audit:read'),
  rateLimit: 'general',
  request: {
    params: OrgParams,
    query: RecordQuery,
  },
  success: {
    status: 200,
    description: 'A page of records; `cursor` is present when more may follow (pass it back unchanged, with the same filters)',
    schema: RecordPage,
  },
});

export const verifyAuditChain = defineRoute({
  id: 'verifyAuditChain',
  method: 'GET',
  path: '/v1/orgs/{orgId}/audit/verify',
  domain: 'audit',
  summary: "Verifies the organization's audit chain",
  description: "Recomputes the organization's audit chain from its first record, for a caller holding audit:read, and names the first broken link (an edited, missing or moved record, or a moved head), if any.",
  auth: can('audit:read'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
  },
  success: {
    status: 200,
    description: 'The verification',
    schema: ChainVerification,
  },
});

export const exportAuditChain = defineRoute({
  id: 'exportAuditChain',
  method: 'GET',
  path: '/v1/orgs/{orgId}/audit/export',
  domain: 'audit',
  summary: "Exports the organization's audit chain as JSON Lines",
  description: "Answers the organization's audit records as JSON Lines, oldest first, in parts of at most 4 MiB, to a caller holding audit:read. The header Rampart-Next-Cursor, when present, asks for the next part (?cursor=).",
  auth: can('audit:read'),
  rateLimit: 'action',
  request: {
    params: OrgParams,
    query: ExportQuery,
  },
  success: {
    status: 200,
    description: 'One record a line (the schema is that of one line)',
    schema: RecordView,
    contentType: NDJSON,
  },
});

export const auditRoutes = [listAuditRecords, verifyAuditChain, exportAuditChain] as const;
