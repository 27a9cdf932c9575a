import pg from 'pg';
import { migrate } from '../../connectors/store/migrate.js';
import { seedTenant } from '../../connectors/seed/index.js';
import { newTokenSecret } from '../../tenants/token-secret.js';

/** What the benchmark servers and the load generator need to know about the bench database. */
export interface BenchData {
  /** Owner connection string of the bench database. */
  url: string;
  tenantId: string;
  /** An admin token of the bench tenant with an unlimited rate plan. */
  token: string;
  /** Member ids the requests cycle through (members with orders). */
  memberIds: string[];
}

/** The bench database on the Postgres server given to the runner. */
export const BENCH_DB = 'cdp_bench_graphql';

/** The servers compared. */
export type ServerKind = 'ours' | 'ours-2-processes' | 'ours-memory-limits' | 'postgraphile' | 'floor-tx' | 'floor';

/** Database connections per server: the same for all three. */
export const POOL_SIZE = 10;
const TENANT = 'bench';
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);

// Five published tags with a value for every member, so "its tags" returns real rows.
const TAGS: [name: string, type: string, category: string, value: string][] = [
  ['lifecycle', 'enum("new", "member", "churned")', '基础属性/生命周期', `to_jsonb((array['new', 'member', 'churned'])[1 + member_id % 3])`],
  ['high_value', 'boolean', '消费属性/价值', 'to_jsonb(member_id % 4 = 0)'],
  ['rfm_r', 'number', '消费属性/RFM', 'to_jsonb(1 + member_id % 5)'],
  ['favourite_channel', 'string', '行为属性/渠道', `to_jsonb((array['tmall', 'jd', 'app'])[1 + member_id % 3])`],
  ['last_order_days', 'number', '消费属性/活跃', 'to_jsonb(member_id % 200)'],
];

/**
 * Creates (once) and returns the bench database: migrated, one tenant seeded by the seed library
 * (BENCH_MEMBERS members, 10 orders each on average), five tags with values, an admin token.
 * `reseed` drops and rebuilds it. The token is re-issued on every run (only its hash is stored).
 */
export async function prepareBenchDatabase(serverUrl: string, reseed = false): Promise<BenchData> {
  const url = new URL(serverUrl);
  const root = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await root.connect();
  if (reseed) await root.query(`drop database if exists ${BENCH_DB} with (force)`);
  const exists = (await root.query('select 1 from pg_database where datname = $1', [BENCH_DB])).rowCount;
  if (!exists) await root.query(`create database ${BENCH_DB}`);
  await root.end();
  url.pathname = `/${BENCH_DB}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  try {
    await migrate(pool);
    let tenant = (await pool.query<{ tenant_id: string }>('select tenant_id from tenants where name = $1', [TENANT])).rows[0]?.tenant_id;
    if (!tenant) {
      console.log(`seeding ${MEMBERS} members into ${BENCH_DB} (once; --reseed to rebuild)...`);
      tenant = (await seedTenant(pool, { tenantName: TENANT, members: MEMBERS, seed: 42, ordersPerMember: 10, eventsPerMember: 2,
        now: new Date('2026-06-01T00:00:00Z') })).tenantId;
      await addTags(pool, tenant);
      await pool.query('analyze');
    }
    const token = await issueBenchToken(pool, tenant);
    const members = await pool.query<{ member_id: string }>(
      `select member_id from (select distinct member_id from orders where tenant_id = $1) o order by member_id limit 500`, [tenant]);
    return { url: url.toString(), tenantId: tenant, token, memberIds: members.rows.map((r) => String(r.member_id)) };
  } finally {
    await pool.end();
  }
}

async function addTags(pool: pg.Pool, tenantId: string): Promise<void> {
  for (const [name, type, category, value] of TAGS) {
    await pool.query(`insert into tag_definitions (tenant_id, name, current_version, published_version, status)
                      values ($1, $2, 1, 1, 'published')`, [tenantId, name]);
    await pool.query(`insert into tag_versions (tenant_id, name, version, source, value_type, category)
                      values ($1, $2, 1, $3, $4, $5)`, [tenantId, name, `tag ${name}: ${type} = ...`, type, category]);
    await pool.query(`insert into tag_values (tenant_id, tag_name, member_id, value)
                      select $1, $2, member_id, ${value} from members where tenant_id = $1`, [tenantId, name]);
  }
}

async function issueBenchToken(pool: pg.Pool, tenantId: string): Promise<string> {
  const secret = newTokenSecret();
  await pool.query(
    `with c as (insert into consumers (tenant_id, name) values ($1, 'bench')
                on conflict (tenant_id, name) do update set name = excluded.name returning consumer_id)
     insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes, rate_per_minute)
     select $1, consumer_id, $2, $3, array['admin'], 2000000000 from c`,
    [tenantId, secret.sha256, secret.prefix],
  );
  return secret.token;
}
