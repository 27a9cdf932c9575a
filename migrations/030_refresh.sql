-- Materialisation (issue 5): refresh jobs that survive a crashed process, the hand-off between a
-- running full refresh and the incremental worker, and the way background workers find tenants with
-- work without reading any tenant's data.

-- A running job's process writes heartbeat_at every few seconds; a running job whose heartbeat is
-- old is taken over by another process. as_of is the evaluation time of the whole job ($2 of every
-- compiled query it runs): the job's start.
alter table refresh_jobs add column heartbeat_at timestamptz;
alter table refresh_jobs add column as_of timestamptz;
alter table refresh_jobs add column requested_by text;
create index refresh_jobs_open on refresh_jobs (tenant_id, job_id) where state in ('queued', 'running');

-- Members the incremental worker re-evaluated for a definition while a full refresh job was
-- running. The job's swap leaves these members alone: their value was computed from newer data than
-- the job's staging copy. Deleted when the job ends.
create table refresh_recheck (
  tenant_id  uuid not null,
  job_id     bigint not null,
  target     text not null,                       -- 'tag:NAME' or 'audience:NAME'
  member_id  bigint not null,
  primary key (tenant_id, job_id, target, member_id)
);
alter table refresh_recheck enable row level security;
alter table refresh_recheck force row level security;
create policy tenant_isolation on refresh_recheck using (tenant_id = cdp_current_tenant())
  with check (tenant_id = cdp_current_tenant());
grant select, insert, update, delete on refresh_recheck to cdp_app;

-- Background workers must find the tenants that have dirty members or queued jobs, but every
-- tenant table is behind row-level security keyed by one tenant. This registry of tenant ids (no
-- tenant data, no grant to cdp_app) is read only by cdp_tenants_with_work() below.
create table work_tenants (
  tenant_id uuid primary key references tenants(tenant_id) on delete cascade
);
revoke all on work_tenants from public;
insert into work_tenants (tenant_id) select tenant_id from tenants on conflict do nothing;

create function cdp_register_work_tenant() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
  as $$
begin
  insert into work_tenants (tenant_id) values (new.tenant_id) on conflict do nothing;
  return new;
end $$;
create trigger tenants_to_work_tenants after insert on tenants
  for each row execute function cdp_register_work_tenant();

-- For each tenant: whether it has dirty members, whether it has a job to run (queued, or running
-- with a heartbeat older than p_stale), and when its last full refresh ('all') was requested.
-- Looks at one tenant at a time with app.tenant_id set to it, so row-level security holds inside.
create function cdp_tenants_with_work(p_stale interval)
  returns table (tenant_id uuid, dirty boolean, jobs boolean, last_full timestamptz)
  language plpgsql security definer set search_path = public, pg_temp
  as $$
declare
  t uuid;
begin
  for t in select w.tenant_id from work_tenants w order by w.tenant_id loop
    perform set_config('app.tenant_id', t::text, true);
    tenant_id := t;
    dirty := exists (select 1 from dirty_members d where d.tenant_id = t);
    jobs := exists (select 1 from refresh_jobs j where j.tenant_id = t and (j.state = 'queued'
              or (j.state = 'running' and coalesce(j.heartbeat_at, j.started_at) < now() - p_stale)));
    last_full := (select max(j.created_at) from refresh_jobs j where j.tenant_id = t and j.target = 'all');
    return next;
  end loop;
  perform set_config('app.tenant_id', '', true);
end $$;
revoke all on function cdp_tenants_with_work(interval) from public;
grant execute on function cdp_tenants_with_work(interval) to cdp_app;

-- Wake the incremental worker of every gateway process when members are marked dirty, whoever
-- marks them: one NOTIFY per tenant per statement (payload: the tenant id), delivered at commit.
create function cdp_dirty_notify() returns trigger
  language plpgsql
  as $$
declare
  t uuid;
begin
  for t in select distinct n.tenant_id from new_rows n loop
    perform pg_notify('cdp_dirty', t::text);
  end loop;
  return null;
end $$;
create trigger dirty_members_notify_insert after insert on dirty_members
  referencing new table as new_rows for each statement execute function cdp_dirty_notify();
create trigger dirty_members_notify_update after update on dirty_members
  referencing new table as new_rows for each statement execute function cdp_dirty_notify();
