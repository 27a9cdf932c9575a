/**
 * The object that identifies one request across Apollo's copies of its context. Apollo Server clones
 * the context object for each operation (a shallow copy), so plugins and resolvers see a different
 * object than the one the gateway built; the copies share the request's `db`, which is made once per
 * request (and once per websocket subscription). Per-request notes (budget, reads, audit) key on it.
 */
export function requestKey(ctx: object): object {
  const db = (ctx as { db?: unknown }).db;
  return db !== null && typeof db === 'object' ? db : ctx;
}
