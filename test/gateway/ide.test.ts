import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { seedReadFixture } from './read-fixture.js';

// Debian's chromium (CI installs it: apt-get install chromium). No browser download, no network.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let browser: Browser;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  await seedReadFixture(db, acme.tenantId, { members: 3, orders: 1, items: 1 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe('GraphQL IDE at GET /graphql', () => {
  it('loads from the gateway alone, takes a pasted token and runs a query', async () => {
    const page = await browser.newPage();
    const origin = new URL(gw.url).origin;
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));

    const res = await page.goto(gw.url);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });

    // Paste the token into the headers editor (open by default) and a query into the query editor.
    await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${acme.token}` }));
    await page.locator('.graphiql-query-editor .CodeMirror').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('{ viewer { tenant { name } } members(first: 2) { totalCount nodes { name } } }');
    await page.locator('.graphiql-execute-button').click();

    const response = page.locator('.graphiql-response');
    await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain('会员2');
    const text = await response.innerText();
    expect(text).toContain('"totalCount": 3');
    expect(text).toContain('"name": "acme"');
    expect(problems).toEqual([]);
    expect(requested.length).toBeGreaterThan(4);
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
    await page.close();
  });

  it('answers API clients on the same URL with GraphQL, and unknown assets with 404', async () => {
    const get = await fetch(`${gw.url}?query=${encodeURIComponent('{ viewer { consumer } }')}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${acme.token}` } });
    expect(await get.json()).toMatchObject({ data: { viewer: { consumer: 'admin' } } });
    expect((await fetch(`${gw.url}/ide/../../package.json`)).status).toBe(404);
    expect((await fetch(`${gw.url}/ide/nothing.js`)).status).toBe(404);
    const asset = await fetch(`${gw.url}/ide/graphiql.min.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${gw.url}/ide/graphiql.min.js`, { headers: { 'if-none-match': asset.headers.get('etag')! } })).status).toBe(304);
  });
});
