-- Row-level security and the application role.
--
-- The gateway's queries run as cdp_app: a role that owns nothing, is not a superuser and has no
-- BYPASSRLS. Every tenant table has RLS enabled and FORCED (so even the owner is filtered), keyed by
-- the transaction-local setting app.tenant_id. Without that setting a query sees no rows at all.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'cdp_app') then
    begin
      create role cdp_app nologin nosuperuser nobypassrls noinherit nocreatedb nocreaterole;
    exception when duplicate_object or unique_violation then
      null; -- another database of this cluster created it at the same moment
    end;
  end if;
end $$;

-- The migrating user may switch to cdp_app (a superuser may anyway; a managed-database owner needs it).
do $$
begin
  execute format('grant cdp_app to %I', current_user);
exception when others then
  null;
end $$;

create function cdp_current_tenant() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

do $$
declare
  t text;
begin
  foreach t in array array['tenants', 'consumers', 'tokens', 'members', 'identities', 'member_aliases',
    'merge_log', 'orders', 'order_items', 'events', 'held_records', 'tag_definitions', 'tag_versions',
    'tag_values', 'audiences', 'audience_versions', 'audience_members', 'audience_changes',
    'refresh_jobs', 'dirty_members', 'usage_records', 'audit_log']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = cdp_current_tenant()) '
                   'with check (tenant_id = cdp_current_tenant())', t);
    execute format('grant select, insert, update, delete on %I to cdp_app', t);
  end loop;
end $$;

grant usage on schema public to cdp_app;
grant usage, select on all sequences in schema public to cdp_app;
grant execute on function cdp_current_tenant() to cdp_app;

-- Token look-up happens before the tenant is known. The hash → tenant index has no tenant data in
-- it and no grant to cdp_app; only the function below reads it, then sets the tenant for the rest of
-- the caller's transaction.
create table token_lookup (
  secret_sha256 bytea primary key,
  tenant_id     uuid not null,
  token_id      bigint not null
);
revoke all on token_lookup from public;

create function cdp_tokens_to_lookup() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
  as $$
begin
  insert into token_lookup (secret_sha256, tenant_id, token_id)
  values (new.secret_sha256, new.tenant_id, new.token_id)
  on conflict (secret_sha256) do nothing;
  return new;
end $$;
create trigger tokens_to_lookup after insert on tokens
  for each row execute function cdp_tokens_to_lookup();

-- Resolves a token hash to its tenant, consumer and scopes, and sets app.tenant_id for the
-- remainder of the caller's transaction. Returns no row for an unknown hash.
create function cdp_authenticate(p_secret_sha256 bytea)
  returns table (tenant_id uuid, tenant_name text, token_id bigint, consumer_id bigint, consumer_name text,
                 scopes text[], rate_per_minute integer, status text)
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  v_tenant uuid;
begin
  select l.tenant_id into v_tenant from token_lookup l where l.secret_sha256 = p_secret_sha256;
  if v_tenant is null then
    return;
  end if;
  perform set_config('app.tenant_id', v_tenant::text, true);
  return query
    select k.tenant_id, t.name, k.token_id, k.consumer_id, c.name, k.scopes, k.rate_per_minute, k.status
      from tokens k
      join consumers c on c.tenant_id = k.tenant_id and c.consumer_id = k.consumer_id
      join tenants t on t.tenant_id = k.tenant_id
     where k.tenant_id = v_tenant and k.secret_sha256 = p_secret_sha256;
end $$;
revoke all on function cdp_authenticate(bytea) from public;
grant execute on function cdp_authenticate(bytea) to cdp_app;

-- True when the hash is the platform root token's.
create function cdp_is_root_token(p_secret_sha256 bytea) returns boolean
  language sql stable security definer set search_path = public, pg_temp
  as $$ select exists (select 1 from platform_settings
                        where key = 'root_token_sha256' and value = encode(p_secret_sha256, 'hex')) $$;
revoke all on function cdp_is_root_token(bytea) from public;
grant execute on function cdp_is_root_token(bytea) to cdp_app;

-- Creates a tenant with an 'admin' consumer and an admin token (hash given by the caller).
-- Sets app.tenant_id to the new tenant for the rest of the caller's transaction.
create function cdp_create_tenant(p_name text, p_admin_secret_sha256 bytea, p_prefix text)
  returns uuid
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  v_tenant uuid := gen_random_uuid();
  v_consumer bigint;
begin
  perform set_config('app.tenant_id', v_tenant::text, true);
  insert into tenants (tenant_id, name) values (v_tenant, p_name);
  insert into consumers (tenant_id, name, description) values (v_tenant, 'admin', 'tenant administrator')
    returning consumer_id into v_consumer;
  insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes)
    values (v_tenant, v_consumer, p_admin_secret_sha256, p_prefix, array['admin']);
  return v_tenant;
end $$;
revoke all on function cdp_create_tenant(text, bytea, text) from public;
grant execute on function cdp_create_tenant(text, bytea, text) to cdp_app;
