/**
 * The ingestion benchmark's rows (bench/ingest/run.ts and profile.ts share them): orders with two
 * items among ORDERS / 2 phones, events among EVENTS / 5 app users, from a fixed seed; and each
 * path's request bodies and CSV text, built before any clock starts.
 */

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

/** Rows per GraphQL call and per /v1/batch request. */
export const GRAPHQL_BATCH = 5000;
export const SEGMENT_BATCH = 1000;

/** `n` orders in the unified shape (OrderInput), each with a PHONE and two items. */
export function makeOrders(n: number) {
  const people = Math.max(1, Math.floor(n / 2));
  return Array.from({ length: n }, (_, i) => {
    const created = new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 300) * 86400_000 + Math.floor(rand() * 86400_000));
    const p1 = Math.round(rand() * 20000) / 100;
    const p2 = Math.round(rand() * 5000) / 100;
    return {
      channel: pick(['TMALL', 'JD', 'PDD', 'DOUYIN'] as const), channelOrderId: `BO-${i}`,
      identities: [{ kind: 'PHONE', value: `13${String(100000000 + Math.floor(rand() * people)).slice(0, 9)}` }],
      status: 'PAID', amount: Math.round((p1 + p2 * 2) * 100) / 100, discount: 0, createdAt: created.toISOString(),
      paidAt: new Date(created.getTime() + 60_000).toISOString(),
      items: [{ sku: `SKU-${i % 500}`, productName: '商品', category: pick(['fruit', 'dairy', 'electronics']), quantity: 1, price: p1 },
        { sku: `SKU-${(i + 7) % 500}`, productName: '商品', category: pick(['fruit', 'dairy', 'electronics']), quantity: 2, price: p2 }],
    };
  });
}

/** `n` events (EventInput) of app users. */
export function makeEvents(n: number) {
  const users = Math.max(1, Math.floor(n / 5));
  return Array.from({ length: n }, (_, i) => ({
    eventId: `BE-${i}`, name: pick(['login', 'view_product', 'add_to_cart', 'share']), channel: 'APP',
    occurredAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 300 * 86400_000)).toISOString(),
    identities: [{ kind: 'APP_USER_ID', value: `u-${Math.floor(rand() * users)}` }], properties: { sku: `SKU-${i % 500}` },
  }));
}

export type BenchOrder = ReturnType<typeof makeOrders>[number];
export type BenchEvent = ReturnType<typeof makeEvents>[number];

export const chunks = <T>(xs: T[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/** The orders as the CSV importer reads them (an `items` JSON column). */
export const ordersCsv = (orders: BenchOrder[]) => ['channel,channel_order_id,phone,status,amount,discount,created_at,paid_at,items',
  ...orders.map((o) => [o.channel, o.channelOrderId, o.identities[0].value, 'paid', o.amount, o.discount, o.createdAt, o.paidAt,
    `"${JSON.stringify(o.items).replace(/"/g, '""')}"`].join(','))].join('\n');

/**
 * GraphQL request bodies, GRAPHQL_BATCH rows each, as the bytes a client sends: encoded before the
 * clock starts, like the COPY text of the floor, so that a run measures the gateway and not the
 * client's serialisation (fetch spent ~3 µs per order re-checking and encoding a string body).
 */
export const importOrdersBodies = (orders: BenchOrder[]) => graphqlBodies(orders,
  'mutation ($o: [OrderInput!]!) { importOrders(orders: $o) { accepted rejected { index message } } }', 'o');
export const trackBodies = (events: BenchEvent[]) => graphqlBodies(events,
  'mutation ($e: [EventInput!]!) { track(events: $e) { accepted rejected { index message } } }', 'e');

const graphqlBodies = <T>(rows: T[], query: string, name: string) =>
  chunks(rows, GRAPHQL_BATCH).map((batch) => Buffer.from(JSON.stringify({ query, variables: { [name]: batch } })));

/** Segment /v1/batch bodies of track messages, SEGMENT_BATCH each, encoded like the GraphQL bodies. */
export const segmentBodies = (events: BenchEvent[]) => chunks(events, SEGMENT_BATCH).map((batch) => Buffer.from(JSON.stringify({ batch: batch.map((e) => ({
  type: 'track', messageId: e.eventId, userId: e.identities[0].value, event: e.name, properties: e.properties, timestamp: e.occurredAt,
  context: { channel: 'app' } })) })));
