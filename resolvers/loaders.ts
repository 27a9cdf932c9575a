import DataLoader from 'dataloader';
import type { RequestDb } from './context.js';

export interface IdentityRow {
  member_id: string;
  kind: string;
  value: string;
  channel: string | null;
  created_at: Date;
}

/** Per-request batch loaders: one statement per kind of child row, whatever the page size. */
export interface Loaders {
  identitiesByMember: DataLoader<string, IdentityRow[]>;
}

function groupBy<T extends { member_id: string }>(keys: readonly string[], rows: T[]): T[][] {
  const byKey = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const r of rows) byKey.get(r.member_id)?.push(r);
  return keys.map((k) => byKey.get(k)!);
}

/** Loaders bound to one request's tenant transaction. */
export function createLoaders(db: RequestDb, tenantId: () => string): Loaders {
  return {
    identitiesByMember: new DataLoader(async (ids) => {
      const r = await db.query<IdentityRow>(
        `select member_id, kind, value, channel, created_at from identities
          where tenant_id = $1 and member_id = any($2::bigint[]) order by member_id, kind, value`,
        [tenantId(), ids],
      );
      return groupBy(ids, r.rows);
    }),
  };
}
