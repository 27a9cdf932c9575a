-- A read-only GraphQL request (a query operation) in one round trip: the token is looked up, the
-- tenant set for the connection's session, and the query's cost taken from the token's bucket.
-- The request's statements then run in autocommit under row-level security, so there is no BEGIN
-- and no COMMIT to wait for. Session level is safe only because the gateway runs this as the first
-- statement of every checkout of its request pool (gateway/request-context.ts): the setting is
-- cleared first, so a connection never carries one request's tenant into another's statements.
-- Mutations keep the transaction-local setting of cdp_authenticate (atomic writes).
--
-- The cost is taken only from an active token and only when it fits the token's plan
-- (p_cost <= rate_per_minute); otherwise allowed/remaining/at are null and the gateway charges
-- as for any request refused before execution.
create function cdp_open_read(p_secret_sha256 bytea, p_cost integer)
  returns table (tenant_id uuid, tenant_name text, token_id bigint, consumer_id bigint, consumer_name text,
                 scopes text[], rate_per_minute integer, status text,
                 allowed boolean, remaining double precision, at timestamptz)
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  v_tenant uuid;
  v_token record;
  v_allowed boolean;
  v_remaining double precision;
  v_at timestamptz;
begin
  perform set_config('app.tenant_id', '', false);
  select l.tenant_id into v_tenant from token_lookup l where l.secret_sha256 = p_secret_sha256;
  if v_tenant is null then
    return;
  end if;
  perform set_config('app.tenant_id', v_tenant::text, false);
  select k.tenant_id, t.name as tenant_name, k.token_id, k.consumer_id, c.name as consumer_name, k.scopes,
         k.rate_per_minute, k.status
    into v_token
    from tokens k
    join consumers c on c.tenant_id = k.tenant_id and c.consumer_id = k.consumer_id
    join tenants t on t.tenant_id = k.tenant_id
   where k.tenant_id = v_tenant and k.secret_sha256 = p_secret_sha256;
  if not found then
    perform set_config('app.tenant_id', '', false);
    return;
  end if;
  if v_token.status <> 'active' then
    perform set_config('app.tenant_id', '', false);
  end if;
  if v_token.status = 'active' and p_cost > 0 and p_cost <= v_token.rate_per_minute then
    select b.allowed, b.remaining, b.at into v_allowed, v_remaining, v_at
      from cdp_rate_take('token:' || v_token.tenant_id::text || ':' || v_token.token_id::text, v_token.rate_per_minute, p_cost) b;
  end if;
  return query select v_token.tenant_id, v_token.tenant_name, v_token.token_id, v_token.consumer_id, v_token.consumer_name,
                      v_token.scopes, v_token.rate_per_minute, v_token.status, v_allowed, v_remaining, v_at;
end $$;
revoke all on function cdp_open_read(bytea, integer) from public;
grant execute on function cdp_open_read(bytea, integer) to cdp_app;
