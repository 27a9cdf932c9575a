/**
 * The demo definitions written by hand, as a Postgres developer would: one statement per
 * definition computing (member_id, value) for every member of the tenant at $2 (asOf), the same
 * meaning as tag-dsl.md. Definitions that read other tags read the hand-written results
 * (temporary tables hw_<name>), never the engine's. $1 = tenant id.
 */
export const HAND_WRITTEN: ReadonlyArray<{ key: string; sql: string }> = [
  {
    key: 'tag:high_value',
    sql: `select m.member_id, to_jsonb(coalesce(o.amount, 0) >= 5000) as value
            from members m
            left join (select member_id, sum(amount) as amount from orders
                        where tenant_id = $1 and status in ('paid', 'completed')
                          and created_at > $2::timestamptz - interval '365 days' and created_at <= $2::timestamptz
                        group by member_id) o on o.member_id = m.member_id
           where m.tenant_id = $1`,
  },
  {
    key: 'tag:lifecycle',
    sql: `select m.member_id, to_jsonb(case
              when o.n is null then 'new'
              when floor(extract(epoch from $2::timestamptz - o.last) / 86400) > 180 then 'churned'
              when hv.value = 'true'::jsonb then 'super'
              when m.level >= 1 then 'member'
              else 'normal' end) as value
            from members m
            left join (select member_id, count(*) as n, max(created_at) as last from orders
                        where tenant_id = $1 and created_at <= $2::timestamptz group by member_id) o on o.member_id = m.member_id
            left join hw_high_value hv on hv.member_id = m.member_id
           where m.tenant_id = $1`,
  },
  {
    key: 'tag:rfm_r',
    sql: `select member_id, to_jsonb(case when d is null then 1 else 1 + 5 * (rank() over (order by d desc nulls last) - 1) / count(*) over () end) as value
            from (select m.member_id, floor(extract(epoch from $2::timestamptz - max(o.created_at)) / 86400) as d
                    from members m left join orders o on o.tenant_id = m.tenant_id and o.member_id = m.member_id and o.created_at <= $2::timestamptz
                   where m.tenant_id = $1 group by m.member_id) x`,
  },
  {
    key: 'tag:rfm_f',
    sql: `select member_id, to_jsonb(1 + 5 * (rank() over (order by n) - 1) / count(*) over ()) as value
            from (select m.member_id, count(o.member_id) as n
                    from members m left join orders o on o.tenant_id = m.tenant_id and o.member_id = m.member_id
                         and o.created_at > $2::timestamptz - interval '365 days' and o.created_at <= $2::timestamptz
                   where m.tenant_id = $1 group by m.member_id) x`,
  },
  {
    key: 'tag:rfm_m',
    sql: `select member_id, to_jsonb(1 + 5 * (rank() over (order by s) - 1) / count(*) over ()) as value
            from (select m.member_id, coalesce(sum(o.amount), 0) as s
                    from members m left join orders o on o.tenant_id = m.tenant_id and o.member_id = m.member_id
                         and o.created_at > $2::timestamptz - interval '365 days' and o.created_at <= $2::timestamptz
                   where m.tenant_id = $1 group by m.member_id) x`,
  },
  {
    key: 'tag:rfm_segment',
    sql: `select r.member_id, to_jsonb(case
              when r.value::int >= 4 and f.value::int >= 4 and m.value::int >= 4 then 'champion'
              when f.value::int >= 4 then 'loyal'
              when r.value::int <= 2 and m.value::int >= 4 then 'at_risk'
              when r.value::int <= 2 and f.value::int <= 2 then 'hibernating'
              else 'other' end) as value
            from hw_rfm_r r join hw_rfm_f f using (member_id) join hw_rfm_m m using (member_id)
           where $1::uuid is not null and $2::timestamptz is not null`,
  },
  {
    key: 'audience:churn_recall',
    sql: `select m.member_id, to_jsonb(true) as value
            from members m join hw_lifecycle l on l.member_id = m.member_id
           where m.tenant_id = $1 and l.value = '"churned"'::jsonb and m.phone is not null and $2::timestamptz is not null`,
  },
];

/** hw_<name> for a key 'tag:name' / 'audience:name'. */
export const handTable = (key: string) => `hw_${key.split(':')[1]}`;
