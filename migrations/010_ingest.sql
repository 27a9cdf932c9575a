-- Ingestion (issue 7): idempotent re-imports and held member records.

-- A digest of an order's stored content (status, money, times, store, items). A re-import whose
-- digest and member are unchanged is a duplicate: the upsert's WHERE leaves the row untouched.
alter table orders add column source_hash text;

-- A held record's natural key ('order:tmall:T123', 'event:<eventId>', 'member:KIND:value|...'),
-- so that re-sending a record that is still held replaces it instead of holding it twice.
alter table held_records add column record_key text;
create unique index held_records_pending_key on held_records (tenant_id, record_kind, record_key)
  where attached_at is null;

-- Member records (importMembers, Segment identify) that carry only weak identities wait too.
alter table held_records drop constraint held_records_record_kind_check;
alter table held_records add constraint held_records_record_kind_check
  check (record_kind in ('order', 'event', 'member'));

-- unmergeMembers looks up merges by survivor when following chains.
create index merge_log_survivor on merge_log (tenant_id, survivor_id);
