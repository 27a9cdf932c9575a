import type pg from 'pg';

/** md5 per table of a tenant's seeded rows, with ids taken relative to the tenant's first id. */
export type Fingerprints = Record<'members' | 'identities' | 'orders' | 'items' | 'events', string>;

/**
 * Fingerprints of every column the generator decides, ids taken relative to the tenant's first.
 * `shiftDays` moves every timestamp back by that many days first; `withDates: false` leaves out the
 * columns derived from calendar dates (birthday, the hashed id card that embeds it, pdd order numbers);
 * `members` keeps only the rows of the tenant's first that many members.
 */
export async function fingerprints(pool: pg.Pool, tenantId: string,
  { shiftDays = 0, withDates = true, members = 1e9 }: { shiftDays?: number; withDates?: boolean; members?: number } = {}): Promise<Fingerprints> {
  const shift = `interval '${shiftDays} days'`;
  const bases = `(select min(member_id) as m from members where tenant_id = $1) mb,
    (select coalesce(min(order_id), 0) as o from orders where tenant_id = $1) ob,
    (select coalesce(min(id), 0) as e from events where tenant_id = $1) eb`;
  const q = async (sql: string): Promise<string> => (await pool.query<{ h: string }>(sql, [tenantId])).rows[0].h;
  const dated = withDates;
  return {
    members: await q(`select md5(string_agg(concat_ws('|', member_id - mb.m, name, gender, ${dated ? "birthday, encode(id_card_sha256, 'hex')" : "''"}, phone, email, province, city, registered_at - ${shift}, registered_channel, level, points, married,
        has_children, attributes::text, created_at - ${shift}, updated_at - ${shift}), E'\\n' order by member_id)) as h
      from members, ${bases} where tenant_id = $1 and member_id - mb.m < ${members}`),
    identities: await q(`select md5(string_agg(concat_ws('|', kind, value, member_id - mb.m, channel, created_at - ${shift}),
        E'\\n' order by kind, value)) as h from identities, ${bases} where tenant_id = $1 and member_id - mb.m < ${members}`),
    orders: await q(`select md5(string_agg(concat_ws('|', order_id - ob.o, member_id - mb.m, channel,
        ${dated ? 'channel_order_id' : "case when channel = 'pdd' then '' else channel_order_id end"}, status, amount, discount,
        created_at - ${shift}, paid_at - ${shift}, store_id, imported_at - ${shift}, updated_at - ${shift}), E'\\n' order by order_id)) as h
      from orders, ${bases} where tenant_id = $1 and member_id - mb.m < ${members}`),
    items: await q(`select md5(string_agg(concat_ws('|', order_id - ob.o, line_no, member_id - mb.m, sku, product_name, category,
        quantity, price), E'\\n' order by order_id, line_no)) as h from order_items, ${bases} where tenant_id = $1 and member_id - mb.m < ${members}`),
    events: await q(`select md5(string_agg(concat_ws('|', id - eb.e, event_id, member_id - mb.m, name, channel,
        occurred_at - ${shift}, properties::text, received_at - ${shift}), E'\\n' order by id)) as h
      from events, ${bases} where tenant_id = $1 and member_id - mb.m < ${members}`),
  };
}
