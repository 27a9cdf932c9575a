import type http from 'node:http';
import zlib from 'node:zlib';
import type pg from 'pg';
import { beginAuthenticated, bearerToken } from '../../tenants/auth.js';
import { hasScope } from '../../tenants/scopes.js';
import { importEvents, importMembers, MAX_ROWS } from '../ingest/pipeline.js';
import { emptyResult, type ImportResult } from '../ingest/result.js';
import { mapMessage } from './segment-map.js';

/** Paths of the Segment HTTP tracking API this endpoint serves; each but batch carries one message. */
const SINGLE = new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']);
const MAX_BODY = 8 * 1024 * 1024;

/** True for the request paths handleCollect serves. */
export const isCollectPath = (path: string) => /^\/v1\/(batch|track|identify|page|screen|group|alias)$/.test(path);

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

/**
 * POST /v1/track | identify | page | screen | group | alias | batch: the Segment HTTP tracking API,
 * so that Segment's and RudderStack's server SDKs can send here unchanged. The write key (HTTP Basic
 * user, empty password; or `writeKey` in the body) is a token with the `ingest` scope. Messages are
 * mapped (segment-map.ts) and imported in the token's tenant transaction through the same import
 * functions as the GraphQL mutations: identify and alias first (they link anonymous ids, attaching
 * held events), then track, page, screen and group. Replies 200 `{ success: true, accepted,
 * duplicates, held, rejected }` (each rejection names the message: `batch[3].event: is required`),
 * 400 for a body that is not a JSON object, 401 for a missing or unknown write key, 403 without
 * `ingest`, 413 above 8 MB or 5,000 messages, 500 (nothing stored) when the database fails. Never throws.
 */
export async function handleCollect(req: http.IncomingMessage, res: http.ServerResponse, pool: pg.Pool): Promise<void> {
  let reply: Reply;
  try {
    reply = await collect(req, pool);
  } catch {
    reply = { status: 500, body: { success: false, error: 'internal error: nothing was stored; retry the request' } };
  }
  if (!res.headersSent) {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }
}

async function collect(req: http.IncomingMessage, pool: pg.Pool): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://gateway').pathname;
  const endpoint = path.slice('/v1/'.length);
  if (req.method !== 'POST') return { status: 405, body: { success: false, error: 'use POST' }, headers: { allow: 'POST' } };
  const body = await readBody(req);
  // A body refused part-way was not read to its end: close the connection rather than let the
  // client reuse a socket with the rest of that body still in it.
  if ('error' in body) return { status: body.status, body: { success: false, error: body.error }, headers: body.status === 413 ? { connection: 'close' } : {} };
  const payload = body.value as Record<string, any>;

  const key = writeKey(req.headers.authorization, payload.writeKey);
  const token = bearerToken(key ? `Bearer ${key}` : undefined);
  if ('failure' in token) return unauthorized();
  const messages: unknown[] = endpoint === 'batch' ? payload.batch : [payload];
  if (!Array.isArray(messages)) return { status: 400, body: { success: false, error: 'batch: must be a list of messages' } };
  if (messages.length > MAX_ROWS) return { status: 413, body: { success: false, error: `batch: at most ${MAX_ROWS} messages per request` } };

  const client = await pool.connect();
  let done = false;
  try {
    const principal = await beginAuthenticated(client, token.token);
    if ('failure' in principal) {
      done = true;
      return unauthorized();
    }
    if (principal.kind !== 'consumer' || !hasScope(principal.scopes, 'ingest')) {
      await client.query('rollback');
      done = true;
      return { status: 403, body: { success: false, error: 'missing scope ingest' } };
    }
    const result = await importMessages(client, principal.tenantId, messages, endpoint === 'batch' ? undefined : endpoint);
    await client.query('commit');
    done = true;
    return { status: 200, body: { success: true, ...result } };
  } finally {
    if (!done) await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

/** Imports mapped messages: member records first, then events; rejections carry message positions. */
async function importMessages(db: pg.ClientBase, tenantId: string, messages: unknown[], endpointType?: string): Promise<ImportResult> {
  const result = emptyResult();
  const members: Array<{ at: number; path: string; input: unknown }> = [];
  const events: Array<{ at: number; path: string; input: unknown }> = [];
  messages.forEach((m, i) => {
    const mapped = mapMessage(m, endpointType ? 'message' : `batch[${i}]`, endpointType && SINGLE.has(endpointType) ? endpointType : undefined);
    if (mapped.kind === 'invalid') result.rejected.push({ index: i, message: mapped.message });
    else (mapped.kind === 'member' ? members : events).push({ at: i, path: mapped.path, input: mapped.input });
  });
  for (const [rows, run] of [[members, importMembers], [events, importEvents]] as const) {
    if (rows.length === 0) continue;
    const r = await run(db, tenantId, rows.map((x) => x.input), { pathOf: (i) => rows[i].path, indexOf: (i) => rows[i].at });
    result.accepted += r.accepted;
    result.duplicates += r.duplicates;
    result.held += r.held;
    result.rejected.push(...r.rejected);
  }
  result.rejected.sort((a, b) => a.index - b.index);
  return result;
}

const unauthorized = (): Reply => ({
  status: 401,
  body: { success: false, error: 'missing or unknown write key (HTTP Basic user: a token with the ingest scope)' },
  headers: { 'www-authenticate': 'Basic realm="cdp"' },
});

/** The write key: HTTP Basic user (password empty), a Bearer token, or `writeKey` in the body. */
function writeKey(authorization: string | undefined, bodyKey: unknown): string | undefined {
  if (authorization) {
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (bearer) return bearer[1];
  }
  return typeof bodyKey === 'string' ? bodyKey : undefined;
}

/** Reads a JSON object body, gunzipping or inflating it per Content-Encoding, at most MAX_BODY bytes decoded. */
async function readBody(req: http.IncomingMessage): Promise<{ value: unknown } | { error: string; status: number }> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: NodeJS.ReadableStream = req;
  if (encoding === 'gzip') stream = req.pipe(zlib.createGunzip());
  else if (encoding === 'deflate') stream = req.pipe(zlib.createInflate());
  else if (encoding !== 'identity') return { error: `unsupported Content-Encoding ${encoding}`, status: 415 };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        req.resume();
        return { error: `request body larger than ${MAX_BODY} bytes`, status: 413 };
      }
      chunks.push(chunk as Buffer);
    }
  } catch {
    return { error: `request body is not valid ${encoding}`, status: 400 };
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'request body must be a JSON object', status: 400 };
    return { value };
  } catch {
    return { error: 'request body is not valid JSON', status: 400 };
  }
}
