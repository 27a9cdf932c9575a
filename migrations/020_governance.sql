-- Governance (issue 6): the shared store of per-token cost budgets.
--
-- One token bucket per token: capacity = the token's rate_per_minute cost points, refilled
-- continuously at capacity/60 points per second. UNLOGGED: the buckets are cheap to lose (a crash
-- refills every budget) and not worth WAL on every request. The table holds no tenant data (the key
-- is an opaque 'token:<tenant>:<id>' string) and has no grant to cdp_app: only the function below
-- reads or writes it.
create unlogged table rate_buckets (
  bucket      text primary key,
  tokens      double precision not null,
  updated_at  timestamptz not null
);
revoke all on rate_buckets from public;

-- Refills the bucket for the time since its last use, then takes p_cost points when that many are
-- there. Atomic under concurrency from any number of gateway processes (the upsert locks the row).
-- p_cost = 0 only reads. Returns whether the points were taken, what is left, and the database
-- clock (every process computes resetAt from the same clock).
create function cdp_rate_take(p_bucket text, p_capacity integer, p_cost integer)
  returns table (allowed boolean, remaining double precision, at timestamptz)
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  v_now timestamptz := clock_timestamp();
  v_tokens double precision;
begin
  insert into rate_buckets as b (bucket, tokens, updated_at) values (p_bucket, p_capacity, v_now)
  on conflict (bucket) do update
     set tokens = least(p_capacity::double precision,
                        b.tokens + greatest(0, extract(epoch from v_now - b.updated_at)) * p_capacity / 60.0),
         updated_at = greatest(b.updated_at, v_now)
  returning b.tokens into v_tokens;
  if v_tokens >= p_cost then
    update rate_buckets set tokens = tokens - p_cost where bucket = p_bucket returning tokens into v_tokens;
    return query select true, v_tokens, v_now;
  else
    return query select false, v_tokens, v_now;
  end if;
end $$;
revoke all on function cdp_rate_take(text, integer, integer) from public;
grant execute on function cdp_rate_take(text, integer, integer) to cdp_app;

-- Lineage reads find the definitions that depend on a node: 'field:phone' = any(dependencies).
create index if not exists tag_versions_dependencies on tag_versions using gin (dependencies);
create index if not exists audience_versions_dependencies on audience_versions using gin (dependencies);

-- Audit records name the token that acted, carry the argument summary apart from before/after, and
-- say how the action ended ('ok' or the error code the caller got).
alter table audit_log add column if not exists token_id bigint;
alter table audit_log add column if not exists args jsonb;
alter table audit_log add column if not exists outcome text not null default 'ok';

-- A token issued without a rate plan may spend 60,000 cost points a minute (1,000 a second): about
-- 40 pages of 50 members with their orders, items and tags (≈1,550 points each) per minute.
alter table tokens alter column rate_per_minute set default 60000;
