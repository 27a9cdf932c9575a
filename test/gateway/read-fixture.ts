import type { TestDatabase } from '../support/db.js';

/** What seedReadFixture made, for assertions. */
export interface ReadFixture {
  memberIds: string[];
}

/**
 * A small tenant for the read-side tests, written set-based through the owner pool: `members`
 * members (phone identity, `orders` orders of `items` lines each, 3 events), two tags with values,
 * one audience with members and a change log. Member k (1-based) has level k % 4, city 杭州 for even k.
 * Order j of a member is created at 2026-01-01 + (member rank * 10 + j) hours; amount 100.5 + j.
 */
export async function seedReadFixture(db: TestDatabase, tenantId: string,
  opts: { members: number; orders: number; items: number }): Promise<ReadFixture> {
  const q = (text: string, values: unknown[] = []) => db.admin.query(text, [tenantId, ...values]);
  const m = await q(
    `insert into members (tenant_id, name, gender, birthday, phone, email, province, city, registered_at, registered_channel, level, points, attributes)
     select $1, '会员' || g, case when g % 2 = 0 then 'F' else 'M' end, date '1990-01-01' + g,
            '138' || lpad(g::text, 8, '0'), 'user' || g || '@example.com', '浙江', case when g % 2 = 0 then '杭州' else '宁波' end,
            timestamptz '2025-01-01T00:00:00Z' + g * interval '1 day', 'tmall', g % 4, g * 10, jsonb_build_object('rank', g)
       from generate_series(1, $2) g order by g returning member_id`, [opts.members]);
  const memberIds = m.rows.map((r) => String(r.member_id));
  await q(`insert into identities (tenant_id, kind, value, member_id, channel)
           select $1, 'PHONE', phone, member_id, 'tmall' from members where tenant_id = $1`);
  await q(`insert into identities (tenant_id, kind, value, member_id, channel)
           select $1, 'WECHAT_OPENID', 'oid-' || member_id, member_id, 'wechat_mp' from members where tenant_id = $1`);
  await q(
    `insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at, store_id)
     select $1, m.member_id, (array['tmall', 'jd', 'pos'])[1 + j % 3], 'CO-' || m.member_id || '-' || j,
            case when j % 5 = 0 then 'refunded' else 'paid' end, 100.5 + j, 1.25,
            timestamptz '2026-01-01T00:00:00Z' + ((m.attributes->>'rank')::int * 10 + j) * interval '1 hour' + interval '123456 microseconds',
            timestamptz '2026-01-01T00:05:00Z' + ((m.attributes->>'rank')::int * 10 + j) * interval '1 hour',
            case when j % 3 = 2 then 'store-' || j end
       from members m cross join generate_series(1, $2) j where m.tenant_id = $1`, [opts.orders]);
  await q(
    `insert into order_items (tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price)
     select $1, o.order_id, l, o.member_id, 'SKU-' || l, '商品' || l, case when l % 2 = 0 then 'fruit' else 'electronics' end, l, 10.1 * l
       from orders o cross join generate_series(1, $2) l where o.tenant_id = $1`, [opts.items]);
  await q(
    `insert into events (tenant_id, event_id, member_id, name, channel, occurred_at, properties)
     select $1, 'ev-' || m.member_id || '-' || k, m.member_id, (array['login', 'view_product', 'add_to_cart'])[k], 'app',
            timestamptz '2026-02-01T00:00:00Z' + k * interval '1 minute', jsonb_build_object('k', k)
       from members m cross join generate_series(1, 3) k where m.tenant_id = $1`);
  await q(`insert into tag_definitions (tenant_id, name, current_version, published_version, status, owner, batch_only, last_refreshed_at)
           values ($1, 'high_value', 1, 1, 'published', 'pm@acme', false, timestamptz '2026-03-01T00:00:00Z'),
                  ($1, 'lifecycle', 2, 2, 'published', 'pm@acme', false, null),
                  ($1, 'old_flag', 1, 1, 'deprecated', null, false, null)`);
  await q(`insert into tag_versions (tenant_id, name, version, source, value_type, label, category, dependencies)
           values ($1, 'high_value', 1, 'tag high_value: boolean = sum(orders.amount) >= 300', 'boolean', '高价值客户', '消费属性/价值', '{orders.amount}'),
                  ($1, 'lifecycle', 1, 'tag lifecycle: enum("new", "member") = "new"', 'enum("new", "member")', '生命周期', '基础属性/生命周期', '{}'),
                  ($1, 'lifecycle', 2, 'tag lifecycle: enum("new", "member") = case when level >= 1 then "member" else "new" end', 'enum("new", "member")', '生命周期', '基础属性/生命周期', '{level}'),
                  ($1, 'old_flag', 1, 'tag old_flag: boolean = true', 'boolean', '旧标记', '基础属性', '{}')`);
  await q(`insert into tag_values (tenant_id, tag_name, member_id, value)
           select $1, 'lifecycle', member_id, to_jsonb(case when level >= 1 then 'member' else 'new' end) from members where tenant_id = $1
           union all
           select $1, 'high_value', member_id, to_jsonb(true) from members where tenant_id = $1 and level >= 2
           union all
           select $1, 'old_flag', member_id, to_jsonb(true) from members where tenant_id = $1`);
  await q(`insert into audiences (tenant_id, name, current_version, status, size, last_seq)
           select $1, 'churn_recall', 1, 'published', count(*), count(*) from members where tenant_id = $1 and level = 0`);
  await q(`insert into audience_versions (tenant_id, name, version, source, label, dependencies)
           values ($1, 'churn_recall', 1, 'audience churn_recall label "流失召回" = level = 0', '流失召回', '{level}')`);
  await q(`insert into audience_members (tenant_id, audience_name, member_id)
           select $1, 'churn_recall', member_id from members where tenant_id = $1 and level = 0`);
  await q(`insert into audience_changes (tenant_id, audience_name, seq, member_id, kind, at)
           select $1, 'churn_recall', row_number() over (order by member_id), member_id, 'ENTERED', timestamptz '2026-03-01T00:00:00Z'
             from members where tenant_id = $1 and level = 0`);
  return { memberIds };
}
