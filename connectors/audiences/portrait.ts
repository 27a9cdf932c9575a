import type { Queryable } from '../store/pool.js';

/** One bar of a portrait: a value (null = members without one) and how many members have it. */
export interface PortraitBucket {
  value: string | null;
  count: number;
  /** The bucket that sums every value past the top N. */
  other: boolean;
}

/** The distribution of one dimension over an audience's members. */
export interface PortraitDimension {
  dimension: string;
  /** 'field' (a member field) or 'tag' */
  kind: 'field' | 'tag';
  buckets: PortraitBucket[];
}

/**
 * Member fields a portrait may group by, with the SQL of the value (table alias `m`, asOf = now()).
 * Personal data (name, phone, email, birthday, id_card) is not a dimension; age comes as ten-year bands.
 */
export const PORTRAIT_FIELDS: ReadonlyMap<string, string> = new Map([
  ['gender', 'm.gender'],
  ['province', 'm.province'],
  ['city', 'm.city'],
  ['registered_channel', 'm.registered_channel'],
  ['level', 'm.level::text'],
  ['married', 'm.married::text'],
  ['has_children', 'm.has_children::text'],
  ['age', `(select (y / 10 * 10)::text || '-' || (y / 10 * 10 + 9)::text
             from (select extract(year from age(now(), m.birthday))::int as y) a)`],
]);

/** Most values shown per dimension before the rest is summed into "other". */
export const DEFAULT_TOP = 10;

/**
 * Counts the audience's members per value of `dimension`, set-based: one grouped statement over
 * audience_members joined to members (a field) or tag_values (a tag), the `top` most frequent
 * values (ties by value) and one "other" bucket for the rest. The caller has checked that a tag
 * dimension exists and may be read.
 */
export async function portraitOf(
  db: Queryable, tenantId: string, audience: string, dimension: { kind: 'field' | 'tag'; name: string }, top = DEFAULT_TOP,
): Promise<PortraitDimension> {
  const value = dimension.kind === 'tag' ? `tv.value #>> '{}'` : PORTRAIT_FIELDS.get(dimension.name);
  if (!value) throw new Error(`not a portrait field: ${dimension.name}`);
  const join = dimension.kind === 'tag'
    ? 'left join tag_values tv on tv.tenant_id = am.tenant_id and tv.tag_name = $4 and tv.member_id = am.member_id'
    : 'join members m on m.tenant_id = am.tenant_id and m.member_id = am.member_id';
  const r = await db.query<{ value: string | null; n: number; other: boolean }>(
    `with v as (
       select ${value} as value from audience_members am ${join}
        where am.tenant_id = $1 and am.audience_name = $2),
     c as (select value, count(*)::int as n from v group by value),
     ranked as (select value, n, row_number() over (order by n desc, value nulls last) as rank from c)
     select value, n, false as other from ranked where rank <= $3
     union all
     select null, sum(n)::int, true from ranked where rank > $3 having count(*) > 0
     order by other, n desc, value nulls last`,
    dimension.kind === 'tag' ? [tenantId, audience, top, dimension.name] : [tenantId, audience, top]);
  return {
    dimension: dimension.name,
    kind: dimension.kind,
    buckets: r.rows.map((x) => ({ value: x.other ? 'other' : x.value, count: x.n, other: x.other })),
  };
}
