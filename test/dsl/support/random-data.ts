import { emptyDataset, type Dataset } from './dataset.js';

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random members with orders, items and events around `asOf` (some after it, some exactly on window
 * edges), materialised values of the test catalog's tags and members of audience `aud_a`. Values are
 * ASCII and times whole seconds, so that the evaluator and Postgres read them alike.
 */
export function randomDataset(seed: number, members: number, asOf: string): Dataset {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const one = <T>(...xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const maybe = <T>(p: number, v: () => T): T | null => (r() < p ? v() : null);
  const base = Date.parse(asOf);
  const edge = [1, 7, 30, 90, 365].map((d) => base - d * 86_400_000);
  const time = () => new Date(r() < 0.05 ? one(...edge) : base + int(-420 * 86_400, 20 * 86_400) * 1000).toISOString();
  const day = () => new Date(base + int(-420, 20) * 86_400_000).toISOString().slice(0, 10);
  const d = emptyDataset();
  let orderId = 1;
  let eventId = 1;
  for (let m = 1; m <= members; m++) {
    d.members.push({
      member_id: m, name: maybe(0.8, () => one('Li Lei', 'Han Meimei', 'Wang', 'Zhang Wei')),
      gender: one('M', 'F', 'U'), birthday: maybe(0.7, () => `${int(1960, 2008)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`),
      phone: maybe(0.6, () => `138${int(10000000, 99999999)}`), email: maybe(0.3, () => `u${m}@example.com`), id_card: r() < 0.3,
      province: maybe(0.8, () => one('Beijing', 'Shanghai', 'Guangdong')), city: maybe(0.8, () => one('Beijing', 'Shanghai', 'Shenzhen', 'Guangzhou')),
      registered_at: time(), registered_channel: maybe(0.9, () => one('tmall', 'jd', 'app', 'pos')), level: int(0, 5), points: int(0, 5000),
      married: maybe(0.6, () => r() < 0.5), has_children: maybe(0.6, () => r() < 0.5),
      attributes: Object.fromEntries([
        ...(r() < 0.7 ? [['score', r() < 0.9 ? int(0, 100) : String(int(0, 100))]] : []),
        ...(r() < 0.6 ? [['flag', r() < 0.9 ? r() < 0.5 : 'yes']] : []),
        ...(r() < 0.6 ? [['src', one<unknown>('ad', 'friend', 'store', 7)]] : []),
      ]),
    });
    for (let k = int(0, 6); k > 0; k--) {
      const id = orderId++;
      const created = time();
      d.orders.push({ order_id: id, member_id: m, channel: one('tmall', 'jd', 'app', 'pos', 'pdd'), status: one('paid', 'completed', 'refunded', 'created', 'paid'),
        amount_cents: int(0, 500_000), discount_cents: int(0, 5000), created_at: created,
        paid_at: maybe(0.7, () => new Date(Date.parse(created) + int(0, 3600) * 1000).toISOString()), store_id: maybe(0.5, () => one('s1', 's2', 's10')) });
      for (let line = 1; line <= int(0, 3); line++) {
        d.items.push({ order_id: id, line_no: line, member_id: m, sku: `sku${int(1, 9)}`, category: one('fruit', 'toys', 'electronics'), quantity: int(1, 5), price_cents: int(100, 20_000) });
      }
    }
    for (let k = int(0, 8); k > 0; k--) {
      const name = one('view_product', 'login', 'register', 'add to cart', 'share');
      d.events.push({ id: eventId++, member_id: m, name, channel: maybe(0.8, () => one('app', 'web', 'wechat_mp')), occurred_at: time(),
        properties: name === 'view_product' ? { category: one('fruit', 'toys'), price: r() < 0.9 ? int(1, 200) : 'n/a', ...(r() < 0.3 ? { flag: r() < 0.5 } : {}) } : {} });
    }
    if (r() < 0.7) d.tagValues.push({ tag_name: 'tv_num', member_id: m, value: int(0, 10) });
    if (r() < 0.7) d.tagValues.push({ tag_name: 'tv_bool', member_id: m, value: r() < 0.5 });
    if (r() < 0.7) d.tagValues.push({ tag_name: 'tv_enum', member_id: m, value: one('a', 'b', 'c') });
    if (r() < 0.7) d.tagValues.push({ tag_name: 'tv_date', member_id: m, value: day() });
    if (r() < 0.4) d.audienceMembers.push({ audience_name: 'aud_a', member_id: m });
  }
  return d;
}
