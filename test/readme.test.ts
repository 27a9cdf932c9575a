import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { testDatabase, type TestDatabase } from './support/db.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { subscribe } from './support/ws-client.js';
import { seedDemo } from '../connectors/seed/index.js';
import { installDemoDefinitions } from '../connectors/tags/demo-definitions.js';

// Every GraphQL block of the README's tour runs, as written, against a freshly seeded demo tenant.
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const tour = README.slice(README.indexOf('## A short tour'), README.indexOf('## Configuration'));
const blocks = [...tour.matchAll(/```graphql\n([\s\S]*?)```(?:\n```json\n([\s\S]*?)```)?/g)]
  .map((m) => ({ query: m[1].trim(), sample: m[2] ? JSON.parse(m[2]) : undefined }));

let db: TestDatabase;
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  db = await testDatabase();
  const demo = await seedDemo(db.admin);
  token = demo.adminToken;
  const job = await installDemoDefinitions(db, demo.tenantId);
  expect(job.state).toBe('succeeded');
  gw = await startTestGateway(db);
}, 300_000);

/** The keys of a JSON value, recursively (arrays by their first element): what a client codes against. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

describe('README tour', () => {
  it('has queries to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  for (const [i, block] of blocks.entries()) {
    it(`block ${i + 1} runs as written: ${block.query.split('\n')[0].slice(0, 60)}`, async () => {
      if (block.query.startsWith('subscription')) {
        const sub = subscribe<any>(gw.url, token, block.query);
        const [first] = await sub.waitFor(1);
        await sub.dispose();
        expect(first.audienceChanges).toMatchObject({ kind: 'ENTERED' });
        return;
      }
      const r = await gw.graphql(block.query, {}, token);
      expect(r.body.errors).toBeUndefined();
      if (!block.sample) return;
      expect(shape(r.body.data)).toEqual(shape(block.sample.data));
      // the scripted members and the language's checks do not depend on the day of seeding
      if (block.query.includes('member(id: "1")') || block.query.includes('validateDsl')) {
        expect(r.body.data).toEqual(block.sample.data);
      }
    });
  }
});
