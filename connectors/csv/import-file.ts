import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { withTenant } from '../store/pool.js';
import { FieldError } from '../ingest/fields.js';
import { importValidMembers, importValidOrders, type Checked } from '../ingest/pipeline.js';
import { emptyResult } from '../ingest/result.js';
import { validateMember, validateOrder, type MemberRecord, type OrderRow } from '../ingest/validate.js';
import { memberFromCsv, normalizeHeader, orderFromCsv, orderKeyOf, hasItemLines, type CsvRecord } from './columns.js';

/** What to import, where from, and how to report. */
export interface CsvImportOptions {
  kind: 'members' | 'orders';
  file: string;
  tenantId: string;
  /** The application pool (cdp_app): each batch is one transaction of its own. */
  pool: pg.Pool;
  /** Rows per import call (default 2,000; at most 5,000). */
  batchSize?: number;
  /** Where rejected rows go (default FILE.rejected.csv). */
  rejectedFile?: string;
  /** Called after each batch and as bytes are read. */
  onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
}

/** Totals of a CSV import. */
export interface CsvImportSummary {
  rows: number;
  accepted: number;
  duplicates: number;
  held: number;
  rejected: number;
  rejectedFile: string;
  seconds: number;
}

interface Pending {
  line: number;
  lines: CsvRecord[];
}

/** A line the importer rejects: not CSV, a wrong field, or refused by the database. */
interface Rejection {
  line: number;
  message: string;
  record?: CsvRecord;
}

/** Rows read and checked while the previous batch is in the database. */
interface Batch {
  valid: Array<Checked<OrderRow | MemberRecord>>;
  rejected: Rejection[];
  /** Each row's first line, by line number (the rejected file repeats its columns). */
  records: Map<number, CsvRecord>;
  rows: number;
}

const newBatch = (): Batch => ({ valid: [], rejected: [], records: new Map(), rows: 0 });

/**
 * Streams a CSV file (a 1 GB file never sits in memory: csv-parse reads it in chunks and the
 * import waits for each batch, which pauses the stream) through the same import functions as the
 * GraphQL API, `batchSize` rows per transaction. Orders may list one line per item (consecutive
 * lines with the same channel and channel_order_id form one order) or carry an `items` JSON column.
 * Every rejected row goes to the rejected file as `line,message,<its original columns>`: lines that
 * do not parse as CSV, rows whose fields are wrong, rows the database refused. Throws only when the
 * file cannot be read or the database is unreachable; the batches committed before stay committed.
 */
export async function importCsvFile(opts: CsvImportOptions): Promise<CsvImportSummary> {
  const started = performance.now();
  const totalBytes = (await stat(opts.file)).size;
  const batchSize = Math.min(opts.batchSize ?? 2000, 5000);
  const rejectedFile = opts.rejectedFile ?? `${opts.file}.rejected.csv`;
  const summary: CsvImportSummary = { rows: 0, accepted: 0, duplicates: 0, held: 0, rejected: 0, rejectedFile, seconds: 0 };
  const out = createWriteStream(rejectedFile);
  let headers: string[] = [];
  const reject = async (line: number, message: string, record?: CsvRecord) => {
    summary.rejected++;
    const cols = record ? headers.map((h) => record[normalizeHeader(h)] ?? '') : [];
    if (!out.write(`${[String(line), message, ...cols].map(csvCell).join(',')}\n`)) await once(out, 'drain');
  };

  const input = createReadStream(opts.file);
  let bytes = 0;
  input.on('data', (chunk) => {
    bytes += chunk.length;
  });
  // Lines come as arrays (the first is the header) and become records here: csv-parse's `columns`
  // defines each field with Object.defineProperty, about a fifth of its time per line.
  const parser = input.pipe(parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    trim: true,
    info: true,
  }));
  const parseErrors: Array<{ line: number; message: string }> = [];
  parser.on('skip', (err: Error & { lines?: number }) => parseErrors.push({ line: err.lines ?? 0, message: `not valid CSV: ${err.message}` }));

  // Rows are converted and checked as they are read, so that this work, like parsing, overlaps the
  // previous batch's time in the database; a batch then only resolves identities and writes.
  const check = opts.kind === 'members'
    ? (p: Pending) => validateMember(memberFromCsv(p.lines[0]), '')
    : (p: Pending) => validateOrder(orderFromCsv(p.lines), '');
  let batch = newBatch();
  let open: Pending | null = null;
  let inflight: Promise<void> = Promise.resolve();
  const close = (p: Pending) => {
    batch.rows++;
    batch.records.set(p.line, p.lines[0]);
    try {
      batch.valid.push({ index: p.line, path: '', row: check(p) });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      batch.rejected.push({ line: p.line, message: err.message, record: p.lines[0] });
    }
  };
  const flush = async (b: Batch, parseRejects: Rejection[]) => {
    const result = emptyResult();
    if (b.valid.length > 0) {
      await withTenant(opts.pool, opts.tenantId, (client) => (opts.kind === 'members'
        ? importValidMembers(client, opts.tenantId, b.valid as Array<Checked<MemberRecord>>, result)
        : importValidOrders(client, opts.tenantId, b.valid as Array<Checked<OrderRow>>, result)));
    }
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    summary.held += result.held;
    const rejects = [...parseRejects, ...b.rejected, ...result.rejected.map((r) => ({ line: r.index, message: r.message, record: b.records.get(r.index) }))];
    for (const r of rejects.sort((x, y) => x.line - y.line)) await reject(r.line, r.message, r.record);
    summary.rows += parseRejects.length + b.rows;
    opts.onProgress?.({ bytes, totalBytes, rows: summary.rows });
  };

  let names: string[] | null = null;
  for await (const { record: fields, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (names === null) {
      headers = fields;
      out.write(`${['line', 'message', ...fields].map(csvCell).join(',')}\n`);
      names = fields.map(normalizeHeader);
      continue;
    }
    const record: CsvRecord = {};
    for (let i = 0; i < names.length && i < fields.length; i++) record[names[i]] = fields[i];
    const grouped = opts.kind === 'orders' && hasItemLines(record);
    if (grouped && open && orderKeyOf(open.lines[0]) === orderKeyOf(record)) {
      open.lines.push(record);
      continue;
    }
    if (open) close(open);
    open = { line: info.lines, lines: [record] };
    if (batch.rows >= batchSize) {
      // One batch in the database while the next one is parsed: batches still run one after
      // another, in file order, so a later line of the same order or member wins.
      await inflight;
      inflight = flush(batch, parseErrors.splice(0));
      inflight.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
      batch = newBatch();
    }
  }
  if (open) close(open);
  await inflight;
  await flush(batch, parseErrors.splice(0));
  out.end();
  await once(out, 'finish');
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
