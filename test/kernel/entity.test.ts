import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../functions/kernel/errors';
import { Conditions } from '../../functions/kernel/storage/conditions';
import { defineEntity } from '../../functions/kernel/storage/entity';
import { Keys, Listings } from '../../functions/kernel/storage/keys';
import { testPlatform, uniqueId } from '../support/platform';

const { table } = testPlatform();

/** A real entity of the key space, with a schema of the test's own: every test uses a fresh organization. */
const Things = defineEntity({
  name: 'thing',
  schema: z.object({ projectId: z.string(), name: z.string(), count: z.number().optional(), note: z.string().optional(), version: z.number() }),
  key: Keys.project,
  queries: { ofOrg: Listings.projectsOfOrg },
});
const freshScope = () => mintOrgScope(uniqueId('o_'));

describe('entities on DynamoDB Local', () => {
  it('writes an item under its key with its attributes, and reads it back through its schema', async () => {
    const scope = freshScope();
    await table.transact([Things.at(scope, 'p_1').putVersioned({ projectId: 'p_1', name: 'one' }, 0)]);
    await expect(table.read(Things.at(scope, 'p_1'))).resolves.toEqual({ projectId: 'p_1', name: 'one', version: 1 });
    await expect(table.exists(Things.at(scope, 'p_1'))).resolves.toBe(true);
    await expect(table.exists(Things.at(scope, 'p_2'))).resolves.toBe(false);
  });

  it('never lets attributes overwrite the key', async () => {
    const scope = freshScope();
    const write = Things.at(scope, 'p_1').put({ projectId: 'p_1', name: 'x', version: 1, ...({ pk: 'ORG#elsewhere', sk: 'PROJECT#p_9' } as object) });
    expect(write.item.Put?.Item).toMatchObject(Keys.project(scope, 'p_1'));
  });

  it('replaces a record under optimistic locking on the version it was read at', async () => {
    const scope = freshScope();
    await table.transact([Things.at(scope, 'p_1').create({ projectId: 'p_1', name: 'one', version: 1 })]);
    const read = (await table.read(Things.at(scope, 'p_1')))!;
    await table.transact([Things.at(scope, 'p_1').replace({ ...read, name: 'two' })]);
    await expect(table.transact([Things.at(scope, 'p_1').replace({ ...read, name: 'lost update' })])).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(table.read(Things.at(scope, 'p_1'))).resolves.toMatchObject({ name: 'two', version: 2 });
  });

  it('updates with set, add and remove, under a composed condition that DynamoDB evaluates', async () => {
    const scope = freshScope();
    const thing = Things.at(scope, 'p_1');
    await table.transact([thing.create({ projectId: 'p_1', name: 'one', note: 'n', version: 1 })]);
    const atMostTwo = Conditions.any(Conditions.attributeAbsent('count'), Conditions.attributeBelow('count', 2));
    const bump = () => thing.update({ add: { count: 1 }, set: { name: 'counted' }, remove: ['note'] }, { when: Conditions.all(Conditions.exists, atMostTwo), onConditionFailed: () => new ConflictError('full') });
    await table.transact([bump()]);
    await table.transact([bump()]);
    await expect(table.transact([bump()])).rejects.toBeInstanceOf(ConflictError);
    await expect(table.read(thing)).resolves.toEqual({ projectId: 'p_1', name: 'counted', count: 2, version: 1 });
  });

  it('checks a condition on an item it does not change, in the same transaction', async () => {
    const scope = freshScope();
    await table.transact([Things.at(scope, 'p_1').create({ projectId: 'p_1', name: 'one', version: 1 })]);
    const guard = Things.at(scope, 'p_1').check(Conditions.attributeIs('name', 'other'), () => new NotFoundError());
    await expect(table.transact([guard, Things.at(scope, 'p_2').create({ projectId: 'p_2', name: 'two', version: 1 })])).rejects.toBeInstanceOf(NotFoundError);
    await expect(table.exists(Things.at(scope, 'p_2'))).resolves.toBe(false);
  });

  it('reads a listing a page at a time, whole, or walking with exact resume cursors', async () => {
    const scope = freshScope();
    const ids = Array.from({ length: 7 }, (_, i) => `p_${i}`);
    await table.transactInBatches(
      ids.map((id) => Things.at(scope, id).create({ projectId: id, name: id, version: 1 })),
      3,
    );
    const first = await table.queryPage(Things.query.ofOrg(scope), { limit: 3, consistent: true });
    expect(first.items.map((t) => t.projectId)).toEqual(['p_0', 'p_1', 'p_2']);
    const next = await table.queryPage(Things.query.ofOrg(scope), { limit: 3, cursor: first.cursor, consistent: true });
    expect(next.items.map((t) => t.projectId)).toEqual(['p_3', 'p_4', 'p_5']);
    expect((await table.queryAll(Things.query.ofOrg(scope), { consistent: true })).map((t) => t.projectId)).toEqual(ids);

    let resume: string | undefined;
    for await (const { item, resumeAfter } of table.walk(Listings.projectsOfOrg(scope), { ascending: true, readPage: 2 })) {
      if (item.projectId === 'p_4') resume = resumeAfter();
    }
    const rest = await table.queryPage(Things.query.ofOrg(scope), { cursor: resume, consistent: true });
    expect(rest.items.map((t) => t.projectId)).toEqual(['p_5', 'p_6']);
    expect(await table.queryKeys(Listings.orgItems(scope))).toHaveLength(7);
  });

  it('refuses a cursor of another listing', async () => {
    const scope = freshScope();
    await table.transactInBatches(['p_0', 'p_1'].map((id) => Things.at(scope, id).create({ projectId: id, name: id, version: 1 })));
    const page = await table.queryPage(Things.query.ofOrg(scope), { limit: 1, consistent: true });
    await expect(table.queryPage(Things.query.ofOrg(freshScope()), { cursor: page.cursor })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('answers a single conditional update with what it wrote, or with the item when the condition failed', async () => {
    const key = Keys.rateLimitBucket(`test:${uniqueId()}`);
    const first = await table.updateItem(key, { set: { tat: 5 } }, { when: Conditions.attributeAbsent('tat') });
    expect(first).toEqual({ updated: { tat: 5 } });
    const second = await table.updateItem(key, { add: { tat: 1 } }, { when: Conditions.attributeAbsent('tat') });
    expect(second).toMatchObject({ conditionFailed: true });
  });
});
