import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { appendChanges } from '../../connectors/changes/change-log.js';
import { withTenant } from '../../connectors/store/pool.js';
import { seedReadFixture } from './read-fixture.js';

// Debian's chromium (CI installs it: apt-get install chromium). No browser download, no network.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let memberIds: string[];
let browser: Browser;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  ({ memberIds } = await seedReadFixture(db, acme.tenantId, { members: 3, orders: 1, items: 1 }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';

async function paste(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(editor).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** Opens the IDE, pastes the token into the headers editor (open by default) and `query` into the query editor. */
async function openIde(page: Page, query: string): Promise<void> {
  const res = await page.goto(gw.url);
  expect(res?.headers()['content-type']).toMatch(/^text\/html/);
  await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
  await paste(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${acme.token}` }));
  await paste(page, QUERY_EDITOR, query);
}

async function append(memberId: string, kind: 'ENTERED' | 'EXITED'): Promise<void> {
  await withTenant(db.app, acme.tenantId, (c) => appendChanges(c, acme.tenantId, 'churn_recall', [{ memberId, kind }]));
}

describe('GraphQL IDE at GET /graphql', () => {
  it('loads from the gateway alone, takes a pasted token and runs a query', async () => {
    const page = await browser.newPage();
    const origin = new URL(gw.url).origin;
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));

    await openIde(page, '{ viewer { tenant { name } } members(first: 2) { totalCount nodes { name } } }');
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

  it('streams a subscription over graphql-ws on the same URL with the pasted token, until Stop; a bad token gets its close code', async () => {
    await append(memberIds[0], 'ENTERED');
    const page = await browser.newPage();
    const origin = new URL(gw.url).origin;
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) problems.push(m.text()); });
    const sent: Array<{ type: string; payload?: unknown }> = [];
    let closed = false;
    page.on('websocket', (ws) => {
      requested.push(ws.url());
      ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload))));
      ws.on('close', () => { closed = true; });
    });

    await openIde(page, 'subscription { audienceChanges(audience: "churn_recall", after: null) { cursor kind memberId at } }');
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain('"kind": "ENTERED"');
    expect(await response.innerText()).toContain(`"memberId": "${memberIds[0]}"`);
    await append(memberIds[0], 'EXITED');
    await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain('"kind": "EXITED"');

    expect(sent[0]).toEqual({ type: 'connection_init', payload: { authorization: `Bearer ${acme.token}` } });
    expect(sent.filter((m) => m.type === 'subscribe')).toHaveLength(1);
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => sent.map((m) => m.type)).toContain('complete');
    await expect.poll(() => closed).toBe(true);

    await paste(page, HEADERS_EDITOR, JSON.stringify({ Authorization: 'Bearer cdp_not_a_token' }));
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain('"message": "websocket closed: 4403 Forbidden"');
    expect(sent.filter((m) => m.type === 'connection_init').map((m) => m.payload)).toEqual([
      { authorization: `Bearer ${acme.token}` }, { authorization: 'Bearer cdp_not_a_token' }]);
    expect(problems).toEqual([]);
    const wsOrigin = origin.replace(/^http/, 'ws');
    expect(requested).toContain(`${wsOrigin}/graphql`);
    expect(requested.filter((u) => !u.startsWith('data:') && ![origin, wsOrigin].includes(new URL(u).origin))).toEqual([]);
    await page.close();
  });
});
