/**
 * Rows of a batch travel to Postgres as ONE text parameter: fields separated by U+001F (unit
 * separator), rows by U+001E (record separator), read back with string_to_table + split_part.
 * Postgres splits this about five times faster than json_to_recordset parses the same rows as JSON,
 * and the JSON parse was a third of an import's statement time. The separators cannot occur in
 * values: text fields refuse control characters (fields.ts), JSON values escape them.
 */

/** A column of a batch: its name in SQL and its SQL type. */
export type Column = readonly [name: string, type: string];

const US = '\u001f';
const RS = '\u001e';

// JSON text already written for an object while it was checked (fields.ts jsonObject), so that
// the batch does not stringify it a second time. Objects are not changed between check and write.
const jsonTexts = new WeakMap<object, string>();

/** Notes `text` as the JSON of `value`, for encodeRecords. */
export function rememberJson(value: object, text: string): void {
  jsonTexts.set(value, text);
}

function encodeValue(v: unknown): string {
  if (typeof v === 'string') {
    // every text value passed validation, which refuses control characters; this guards the format itself
    if (v.indexOf(RS) >= 0 || v.indexOf(US) >= 0) throw new Error('a batch value contains a record or unit separator');
    return v;
  }
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined) return '';
  // epoch milliseconds: Date#toISOString and Postgres's timestamptz input were each about a
  // microsecond per value, several times the cost of the number either side (see recordsFrom)
  if (v instanceof Date) return String(v.getTime());
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Array.isArray(v)) return `{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  if (typeof v === 'object') return jsonTexts.get(v) ?? JSON.stringify(v);
  return encodeValue(String(v));
}

/**
 * Encodes rows (arrays of values in column order) as one text parameter. null and undefined become
 * empty fields, read back as NULL (no value of a batch is the empty string: validation refuses blank
 * text). Dates are epoch milliseconds (for timestamptz columns), booleans t/f, arrays Postgres array
 * literals, objects JSON.
 */
export function encodeRecords(rows: ReadonlyArray<readonly unknown[]>): string {
  let out = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    let line = i === 0 ? '' : RS;
    for (let j = 0; j < row.length; j++) line += j === 0 ? encodeValue(row[j]) : US + encodeValue(row[j]);
    out += line;
  }
  return out;
}

/** SQL reading field `n` of line `l` as `type`; a timestamptz field holds epoch milliseconds. */
function field(n: number, type: string): string {
  const text = `nullif(split_part(l, chr(31), ${n}), '')`;
  if (type !== 'timestamptz') return `${text}::${type}`;
  // whole seconds, then the milliseconds: exact over the whole range of a Date (a float8 of
  // milliseconds / 1000 is not, far from 1970)
  return `to_timestamp((${text}::int8 / 1000)::float8) + (${text}::int8 % 1000) * interval '1 millisecond'`;
}

/**
 * SQL of a derived table `alias(columns...)` reading encodeRecords text from parameter `$param`,
 * e.g. `(select ... from string_to_table($2, chr(30)) l) as r`. timestamptz columns take Dates.
 * With `ordinal`, a first column of that name holds each row's position (1, 2, ...).
 */
export function recordsFrom(param: number, columns: readonly Column[], alias: string, ordinal?: string): string {
  const fields = columns.map(([name, type], i) => `${field(i + 1, type)} as ${name}`).join(', ');
  if (ordinal) return `(select t.n::int as ${ordinal}, ${fields} from string_to_table($${param}::text, chr(30)) with ordinality as t(l, n)) as ${alias}`;
  return `(select ${fields} from string_to_table($${param}::text, chr(30)) as l) as ${alias}`;
}
