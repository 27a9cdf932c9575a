import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { withTenant } from '../store/pool.js';
import { FieldError } from '../ingest/fields.js';
import { importMembers, importOrders } from '../ingest/pipeline.js';
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
  const parser = input.pipe(parse({
    bom: true,
    columns: (h: string[]) => {
      headers = h;
      out.write(`${['line', 'message', ...h].map(csvCell).join(',')}\n`);
      return h.map(normalizeHeader);
    },
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    trim: true,
    info: true,
  }));
  const parseErrors: Array<{ line: number; message: string }> = [];
  parser.on('skip', (err: Error & { lines?: number }) => parseErrors.push({ line: err.lines ?? 0, message: `not valid CSV: ${err.message}` }));

  let batch: Pending[] = [];
  let open: Pending | null = null;
  let inflight: Promise<void> = Promise.resolve();
  const flush = async (rows: Pending[], rejects: Array<{ line: number; message: string; record?: CsvRecord }>) => {
    summary.rows += rejects.length;
    const inputs: unknown[] = [];
    const lines: number[] = [];
    for (const p of rows) {
      try {
        inputs.push(opts.kind === 'members' ? memberFromCsv(p.lines[0]) : orderFromCsv(p.lines));
        lines.push(p.line);
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        rejects.push({ line: p.line, message: err.message, record: p.lines[0] });
      }
    }
    const run = opts.kind === 'members' ? importMembers : importOrders;
    const result = inputs.length === 0 ? { accepted: 0, duplicates: 0, held: 0, rejected: [] } : await withTenant(opts.pool, opts.tenantId, (client) =>
      run(client, opts.tenantId, inputs, { pathOf: () => '', indexOf: (i) => lines[i] }));
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    summary.held += result.held;
    const byLine = new Map(rows.map((p) => [p.line, p.lines[0]]));
    for (const r of result.rejected) rejects.push({ line: r.index, message: r.message, record: byLine.get(r.index) });
    for (const r of rejects.sort((a, b) => a.line - b.line)) await reject(r.line, r.message, r.record);
    summary.rows += rows.length;
    opts.onProgress?.({ bytes, totalBytes, rows: summary.rows });
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: CsvRecord; info: { lines: number } }>) {
    const grouped = opts.kind === 'orders' && hasItemLines(record);
    if (grouped && open && orderKeyOf(open.lines[0]) === orderKeyOf(record)) {
      open.lines.push(record);
      continue;
    }
    if (open) batch.push(open);
    open = { line: info.lines, lines: [record] };
    if (batch.length >= batchSize) {
      // One batch in the database while the next one is parsed: batches still run one after
      // another, in file order, so a later line of the same order or member wins.
      await inflight;
      inflight = flush(batch, parseErrors.splice(0));
      inflight.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
      batch = [];
    }
  }
  if (open) batch.push(open);
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
