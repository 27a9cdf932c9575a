import http from 'node:http';
import pg from 'pg';
import type { BenchData } from './setup.js';
import { createPools } from '../../connectors/store/pool.js';
import { beginAuthenticated, bearerToken } from '../../tenants/auth.js';
import { isoTime } from '../../resolvers/rows.js';


/**
 * The whole member page as one hand-written statement that builds the response JSON in Postgres:
 * the same fields, order and number formats as the gateway's answer to MEMBER_QUERY.
 */
export const FLOOR_SQL = `select json_build_object('data', json_build_object('member', (
  select json_build_object(
    'id', m.member_id::text, 'name', m.name, 'gender', m.gender, 'birthday', to_char(m.birthday, 'YYYY-MM-DD'),
    'phone', m.phone, 'email', m.email, 'province', m.province, 'city', m.city, 'registeredAt', ${isoTime('m.registered_at')},
    'registeredChannel', upper(m.registered_channel), 'level', m.level, 'points', m.points,
    'orders', json_build_object('nodes', coalesce((select json_agg(json_build_object(
        'id', o.order_id::text, 'channel', upper(o.channel), 'channelOrderId', o.channel_order_id, 'status', upper(o.status),
        'amount', o.amount::float8, 'discount', o.discount::float8, 'createdAt', ${isoTime('o.created_at')},
        'paidAt', ${isoTime('o.paid_at')}, 'storeId', o.store_id,
        'items', coalesce((select json_agg(json_build_object('sku', i.sku, 'productName', i.product_name, 'category', i.category,
                    'quantity', i.quantity, 'price', i.price::float8) order by i.line_no)
                  from order_items i where i.tenant_id = o.tenant_id and i.order_id = o.order_id), '[]'::json))
        order by o.created_at desc, o.order_id desc)
      from (select * from orders o where o.tenant_id = m.tenant_id and o.member_id = m.member_id
             order by o.created_at desc, o.order_id desc limit 10) o), '[]'::json)),
    'tags', coalesce((select json_agg(json_build_object('name', tv.tag_name, 'value', tv.value) order by tv.tag_name)
      from tag_values tv join tag_definitions d on d.tenant_id = tv.tenant_id and d.name = tv.tag_name
      where tv.tenant_id = m.tenant_id and tv.member_id = m.member_id and d.status <> 'deprecated'), '[]'::json))
  from members m where m.tenant_id = $1 and m.member_id = $2)))::text as body`;

/**
 * The floor of our architecture: the same hand-written statement, but with what every gateway
 * request does around it: the token checked and the tenant transaction opened in one round trip
 * (beginAuthenticated), the statement run as cdp_app under row-level security, then commit. The gap
 * between this and the gateway is the GraphQL layer; the gap between this and the floor is the
 * security protocol.
 */
export async function startFloorWithTransaction(data: BenchData, port: number, poolSize: number): Promise<http.Server> {
  const pools = createPools({ url: data.url, max: poolSize });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const client = await pools.app.connect();
      try {
        const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const bearer = bearerToken(req.headers.authorization);
        const principal = 'token' in bearer ? await beginAuthenticated(client, bearer.token) : null;
        if (!principal || 'failure' in principal || principal.kind !== 'consumer') throw new Error('unauthenticated');
        const r = await client.query<{ body: string }>({ name: 'floor_member_page', text: FLOOR_SQL, values: [principal.tenantId, variables.id] });
        await client.query('commit');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(r.rows[0].body);
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: String(err) }] }));
      } finally {
        client.release();
      }
    });
  });
  server.on('close', () => void pools.close());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/**
 * The floor: node:http + pg, no GraphQL, no token check, no transaction; one prepared statement
 * per request whose JSON text is the response body. Owner connection with the tenant in the WHERE.
 */
export async function startFloor(data: BenchData, port: number, poolSize: number): Promise<http.Server> {
  const pool = new pg.Pool({ connectionString: data.url, max: poolSize });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      pool.query<{ body: string }>({ name: 'floor_member_page', text: FLOOR_SQL, values: [data.tenantId, variables.id] })
        .then((r) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(r.rows[0].body);
        })
        .catch((err) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: String(err) }] }));
        });
    });
  });
  server.on('close', () => void pool.end());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
