-- A read-only GraphQL request (a query operation) opened in one round trip and without a
-- transaction: the token is looked up and the tenant set for the connection's session, so the
-- request's statements run in autocommit under row-level security, with no BEGIN and no COMMIT to
-- wait for. Session level is safe only because the gateway runs this as the first statement of
-- every checkout of its request pool (gateway/request-context.ts): the setting is cleared first, and
-- stays empty for an unknown or revoked token, so a connection never carries one request's tenant
-- into another's statements. Mutations keep cdp_authenticate's transaction-local setting.
create function cdp_open_read(p_secret_sha256 bytea)
  returns table (tenant_id uuid, tenant_name text, token_id bigint, consumer_id bigint, consumer_name text,
                 scopes text[], rate_per_minute integer, status text)
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  v_tenant uuid;
  v_token record;
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
  return query select v_token.tenant_id, v_token.tenant_name, v_token.token_id, v_token.consumer_id, v_token.consumer_name,
                      v_token.scopes, v_token.rate_per_minute, v_token.status;
end $$;
revoke all on function cdp_open_read(bytea) from public;
grant execute on function cdp_open_read(bytea) to cdp_app;
