import { describe, it, expect, beforeAll } from 'vitest';
import type pg from 'pg';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { runPipeline } from '../../connectors/store/pipeline.js';

/**
 * connectors/store/pipeline.ts: named statements in one round trip, run in order in one implicit
 * transaction. The compiled reads rely on each property tested here: the token check's setting is
 * seen by the next statement, and a failure stops the statements after it.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase();
});

const SET = { name: 'test_set', text: `select set_config('test.mark', $1, false) as mark` };
const READ = { name: 'test_read', text: `select current_setting('test.mark', true) as mark, $1::int + 1 as next` };

async function withClient<T>(f: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.admin.connect();
  try {
    return await f(client);
  } finally {
    client.release(true); // a fresh session for every test
  }
}

describe('runPipeline', () => {
  it('runs the statements in order, the second seeing the session setting the first made, one result each', async () => {
    await withClient(async (client) => {
      const [set, read] = await runPipeline(client, [{ ...SET, values: ['one'] }, { ...READ, values: [41] }]);
      expect(set.rows).toEqual([{ mark: 'one' }]);
      expect(read.rows).toEqual([{ mark: 'one', next: 42 }]);
      // the statements were prepared once, on first use, and are reused
      await runPipeline(client, [{ ...SET, values: ['two'] }, { ...READ, values: [1] }]);
      const prepared = await client.query(`select name, generic_plans + custom_plans as runs from pg_prepared_statements order by name`);
      expect(prepared.rows).toEqual([{ name: 'test_read', runs: '2' }, { name: 'test_set', runs: '2' }]);
      expect((await client.query({ name: READ.name, text: READ.text, values: [0] })).rows[0].mark).toBe('two');
    });
  });

  it('stops at a failing statement: nothing after it runs, and the connection answers again', async () => {
    await withClient(async (client) => {
      const fail = { name: 'test_fail', text: 'select 1 / $1::int as x' };
      const err = await runPipeline(client, [{ ...fail, values: [0] }, { ...SET, values: ['after the failure'] }]).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/division by zero/);
      expect((await client.query(`select current_setting('test.mark', true) as mark`)).rows[0].mark ?? '').not.toBe('after the failure');
      expect((await client.query('select 1 as one')).rows[0].one).toBe(1);
    });
  });

  it('refuses a name the connection prepared for another text, as pg does, before sending anything', async () => {
    await withClient(async (client) => {
      await runPipeline(client, [{ ...SET, values: ['first'] }]);
      const err = await runPipeline(client, [{ name: SET.name, text: 'select 1 as other', values: [] }]).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/test_set.*different statement/);
      expect((await client.query(`select current_setting('test.mark', true) as mark`)).rows[0].mark).toBe('first');
    });
  });

  it('reports a value it cannot send, and the connection answers again', async () => {
    await withClient(async (client) => {
      const unsendable = { toString: () => { throw new Error('not a value'); } };
      const err = await runPipeline(client, [{ ...READ, values: [unsendable] }]).catch((e: Error) => e);
      expect((err as Error).message).toBe('not a value');
      expect((await client.query('select 2 as two')).rows[0].two).toBe(2);
    });
  });
});
