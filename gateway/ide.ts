import type http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The in-browser GraphQL IDE at GET /graphql (a browser asking for text/html): GraphiQL's UMD build
 * with React and ReactDOM, all served by the gateway from node_modules under /graphql/ide/, so it
 * works with no internet. The page's Content-Security-Policy allows this origin only: nothing is
 * fetched from a CDN. The token goes into the headers editor; it is not stored unless the user turns
 * on header persistence in GraphiQL's settings. Queries and mutations go over HTTP; subscriptions go
 * over graphql-ws on the same URL, with the headers' Authorization in connection_init.
 */

/** Where the IDE's assets are served. */
export const IDE_PREFIX = '/graphql/ide/';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

const INIT_JS = `(function () {
  var endpoint = location.origin + location.pathname.replace(/\\/+$/, '');
  var clients = new Map();
  function authorization(headers) {
    for (var k in headers) if (k.toLowerCase() === 'authorization') return String(headers[k]);
    return '';
  }
  // Parsed from the text being sent: GraphiQL's opts.documentAST is updated on a debounce, so Ctrl-Enter
  // right after an edit would be judged by the previous text.
  function isSubscription(params) {
    try {
      var op = GraphiQL.GraphQL.getOperationAST(GraphiQL.GraphQL.parse(params.query), params.operationName || undefined);
      return Boolean(op) && op.operation === 'subscription';
    } catch (e) {
      return false;
    }
  }
  // The token travels once per socket, in connection_init, so each token gets a client of its own.
  // No retries: a rejected token (4403) would otherwise be retried with backoff for half a minute.
  function wsClient(auth) {
    if (!clients.has(auth)) {
      clients.set(auth, graphqlWs.createClient({ url: endpoint.replace(/^http/, 'ws'),
        connectionParams: auth ? { authorization: auth } : {}, retryAttempts: 0 }));
    }
    return clients.get(auth);
  }
  function subscribe(params, auth) {
    var it = wsClient(auth).iterate(params);
    // A CloseEvent prints as {} in the response pane; give it a GraphQL-shaped message.
    var iterable = {
      next: function () {
        return it.next().catch(function (e) {
          throw e && typeof e.code === 'number' && 'reason' in e ? { message: ('websocket closed: ' + e.code + ' ' + e.reason).trim() } : e;
        });
      },
      return: function () { return it.return(); }
    };
    iterable[Symbol.asyncIterator] = function () { return iterable; };
    return iterable;
  }
  function fetcher(params, opts) {
    if (isSubscription(params)) return subscribe(params, authorization((opts && opts.headers) || {}));
    var headers = Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, (opts && opts.headers) || {});
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (r) { return r.json(); });
  }
  var Component = typeof GraphiQL === 'function' ? GraphiQL : GraphiQL.GraphiQL;
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(Component, {
    fetcher: fetcher,
    defaultHeaders: JSON.stringify({ Authorization: 'Bearer <paste your token here>' }, null, 2),
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
    defaultQuery: '# Paste your token into Headers below, then run (Ctrl-Enter).\\n' +
      '{\\n  viewer { tenant { name } consumer scopes }\\n  members(first: 3) {\\n    totalCount\\n    nodes { id name city level tags { name value } }\\n  }\\n}\\n'
  }));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CDP GraphQL IDE</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${IDE_PREFIX}graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the GraphQL IDE…</div>
<script src="${IDE_PREFIX}react.production.min.js"></script>
<script src="${IDE_PREFIX}react-dom.production.min.js"></script>
<script src="${IDE_PREFIX}graphiql.min.js"></script>
<script src="${IDE_PREFIX}graphql-ws.min.js"></script>
<script src="${IDE_PREFIX}init.js"></script>
</body>
</html>
`;

// Same origin only. GraphiQL's editors set inline styles and its CSS embeds fonts as data: URLs.
// connect-src 'self' covers the subscriptions' ws:/wss: to this host too (CSP3; the IDE test opens one).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

interface Asset { body: Buffer; type: string; etag: string }

const SOURCES: Record<string, () => { body: Buffer | string; type: string }> = {
  'graphiql.min.js': () => ({ body: readFileSync(path.join(packageDir('graphiql'), 'graphiql.min.js')), type: 'text/javascript' }),
  'graphiql.min.css': () => ({ body: readFileSync(path.join(packageDir('graphiql'), 'graphiql.min.css')), type: 'text/css' }),
  'react.production.min.js': () => ({ body: readFileSync(path.join(packageDir('react'), 'umd/react.production.min.js')), type: 'text/javascript' }),
  'react-dom.production.min.js': () => ({ body: readFileSync(path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js')), type: 'text/javascript' }),
  'graphql-ws.min.js': () => ({ body: readFileSync(path.join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js')), type: 'text/javascript' }),
  'init.js': () => ({ body: INIT_JS, type: 'text/javascript' }),
};
const cache = new Map<string, Asset>();

function asset(name: string): Asset | undefined {
  let a = cache.get(name);
  if (!a && Object.hasOwn(SOURCES, name)) {
    const { body, type } = SOURCES[name]();
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    a = { body: buf, type: `${type}; charset=utf-8`, etag: `"${createHash('sha1').update(buf).digest('base64url')}"` };
    cache.set(name, a);
  }
  return a;
}

/** True when the request is a browser asking /graphql for a page (text/html preferred, no query). */
export function wantsIde(req: http.IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && url.pathname === '/graphql' && !url.searchParams.has('query')
    && /\btext\/html\b/.test(req.headers.accept ?? '');
}

/**
 * Serves the IDE page or one of its assets; returns false when the request is neither (the caller
 * goes on to GraphQL). Unknown asset names get 404.
 */
export function serveIde(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  if (wantsIde(req, url)) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, 'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    res.end(PAGE);
    return true;
  }
  if (!url.pathname.startsWith(IDE_PREFIX) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const a = asset(url.pathname.slice(IDE_PREFIX.length));
  if (!a) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
    return true;
  }
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, { etag: a.etag });
    res.end();
    return true;
  }
  res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, etag: a.etag,
    'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : a.body);
  return true;
}
