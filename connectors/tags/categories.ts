import type { Queryable } from '../store/pool.js';

/** A node of the category tree: `path` is the full path (`消费属性/价值`), `name` its last segment. */
export interface CategoryNode {
  name: string;
  path: string;
  /** Tags in this category or any category below it. */
  tagCount: number;
  /** Tags whose category is exactly this path. */
  ownTagCount: number;
  children: CategoryNode[];
}

/**
 * The tenant's tag categories as a tree with counts, from the current version of every tag that is
 * not deprecated. `names` narrows to tags a narrowed tags:read scope allows (name or category
 * prefix); null means every tag. Paths are split on '/', empty segments ignored; siblings by name.
 */
export async function categoryTree(db: Queryable, tenantId: string, names: string[] | null): Promise<CategoryNode[]> {
  const r = await db.query<{ category: string; n: number }>(
    `select v.category, count(*)::int as n
       from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
      where d.tenant_id = $1 and d.status <> 'deprecated' and v.category is not null
        and ($2::text[] is null or d.name = any($2) or exists (select 1 from unnest($2::text[]) p
              where v.category = p or left(v.category, length(p) + 1) = p || '/'))
      group by v.category`,
    [tenantId, names]);
  const roots: CategoryNode[] = [];
  const byPath = new Map<string, CategoryNode>();
  for (const { category, n } of r.rows) {
    const segments = category.split('/').map((s) => s.trim()).filter((s) => s.length > 0);
    let siblings = roots;
    let path = '';
    segments.forEach((segment, i) => {
      path = path ? `${path}/${segment}` : segment;
      let node = byPath.get(path);
      if (!node) {
        node = { name: segment, path, tagCount: 0, ownTagCount: 0, children: [] };
        byPath.set(path, node);
        siblings.push(node);
      }
      node.tagCount += n;
      if (i === segments.length - 1) node.ownTagCount += n;
      siblings = node.children;
    });
  }
  const sort = (nodes: CategoryNode[]) => {
    nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const node of nodes) sort(node.children);
  };
  sort(roots);
  return roots;
}
