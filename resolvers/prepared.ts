/**
 * Hot statements run as named prepared statements: Postgres parses and plans them once per pooled
 * connection instead of on every request. Only fixed texts are registered (never compiled DSL or
 * other per-request text), so each connection keeps a small, bounded set of them.
 */
const names = new Map<string, string>();

/** Registers `text` as a hot statement and returns it unchanged. Only for texts drawn from a small fixed set. */
export function prepared(text: string): string {
  if (!names.has(text)) names.set(text, `cdp_read_${names.size + 1}`);
  return text;
}

/** The prepared-statement name of a registered text, or undefined for any other statement. */
export function preparedName(text: string): string | undefined {
  return names.get(text);
}
