import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken } from '../support/gateway.js';
import { createGateway, type Gateway } from '../../gateway/server.js';
import { seedReadFixture } from './read-fixture.js';

let db: TestDatabase;
let gateway: Gateway;
let url: string;
let acme: { tenantId: string; token: string };
const logLines: string[] = [];

beforeAll(async () => {
  db = await testDatabase();
  const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
  gateway = await createGateway({ pools: db, log: pino({ level: 'info' }, sink), development: false });
  url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
  acme = await createTenantWithToken(db, 'acme');
  await seedReadFixture(db, acme.tenantId, { members: 3, orders: 2, items: 1 });
});
afterAll(() => gateway.stop());

async function post(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.token}` },
    body: JSON.stringify({ query, variables }) });
  return { status: res.status, text: await res.text() };
}

describe('bad arguments name the argument', () => {
  it('for unknown enum values, wrong scalar types and negative first, as literals or variables', async () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['{ orders(channel: FOO) { totalCount } }', {}, 'channel', /^argument "channel": Value "FOO" does not exist in "Channel" enum/],
      ['query ($c: Channel) { orders(channel: $c) { totalCount } }', { c: 'FOO' }, 'channel', /^argument "channel": Variable "\$c" got invalid value "FOO"/],
      ['{ memberByIdentity(kind: QQ, value: "1") { id } }', {}, 'kind', /^argument "kind": Value "QQ" does not exist in "IdentityKind" enum/],
      ['{ members(first: "ten") { totalCount } }', {}, 'first', /^argument "first": Int cannot represent non-integer value: "ten"/],
      ['query ($n: Int) { members(first: $n) { totalCount } }', { n: -5 }, 'first', /^argument "first" must not be negative, got -5$/],
      ['{ member(id: "-1") { id } }', {}, 'id', /^argument "id" is not a valid id: "-1"$/],
    ];
    for (const [query, variables, argument, message] of cases) {
      const body = JSON.parse((await post(query, variables)).text);
      expect(body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(body.errors[0].message).toMatch(message);
    }
  });

  it('leaves errors that are not about an argument as graphql-js wrote them', async () => {
    const body = JSON.parse((await post('{ members { nope } }')).text);
    expect(body.errors[0]).toMatchObject({ message: 'Cannot query field "nope" on type "MemberConnection". Did you mean "nodes"?', extensions: { code: 'BAD_USER_INPUT' } });
    expect(body.errors[0].extensions.argument).toBeUndefined();
  });
});

describe('internal errors outside development', () => {
  it('carry an id that is in the log line, and no SQL, Postgres message or stack', async () => {
    await db.admin.query('revoke select on order_items from cdp_app');
    try {
      const { status, text } = await post('{ orders(first: 1) { nodes { channel items { sku } } } }');
      expect(status).toBe(200);
      const body = JSON.parse(text);
      const error = body.errors[0];
      expect(error.message).toMatch(/^Internal error [0-9a-f-]{36}$/);
      expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', errorId: error.message.slice('Internal error '.length) });
      expect(error.path).toEqual(['orders', 'nodes', 0, 'items']);
      expect(text).not.toMatch(/permission|order_items|select|stack|\.ts:/i);
      const line = logLines.find((l) => l.includes(error.extensions.errorId));
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ level: 50, msg: 'internal error', errorId: error.extensions.errorId,
        err: { message: 'permission denied for table order_items' } });
    } finally {
      await db.admin.query('grant select on order_items to cdp_app');
    }
  });
});
