import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { importCsvFile } from '../../connectors/csv/import-file.js';
import { ingestHarness, type IngestHarness } from '../ingest/harness.js';

let h: IngestHarness;
let dir: string;

beforeAll(async () => {
  h = await ingestHarness('csv-shop');
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-csv-'));
});

describe('CSV import', () => {
  it('imports members, maps headers and identity columns, and writes rejected lines with reasons', async () => {
    const file = path.join(dir, 'members.csv');
    await writeFile(file, [
      '\uFEFFName,Phone,wechatUnionid,Birthday,Gender,City,Level,attr.vip_tier',
      '张三,13811112222,,1990-05-01,男,北京,2,gold',
      '李四,12345,,1991-01-01,F,上海,1,',
      '王五,13811113333,un-1,1992-13-01,M,广州,0,',
      '赵六,,un-2,1993-02-03,F,深圳,0,silver',
      '"钱七,13811114444,,1990-01-01,F,杭州,1,',
    ].join('\n'));
    const s = await importCsvFile({ kind: 'members', file, tenantId: h.tenantId, pool: h.db.app });
    expect(s).toMatchObject({ rows: 5, accepted: 2, duplicates: 0, held: 0, rejected: 3, rejectedFile: `${file}.rejected.csv` });
    const rejected = (await readFile(s.rejectedFile, 'utf8')).trim().split('\n');
    expect(rejected[0]).toBe('line,message,Name,Phone,wechatUnionid,Birthday,Gender,City,Level,attr.vip_tier');
    expect(rejected[1]).toBe('3,"phone: is not a phone number (11-digit mainland mobile or +country number): ""12345""",李四,12345,,1991-01-01,F,上海,1,');
    expect(rejected[2]).toBe('4,birthday: must be a date YYYY-MM-DD,王五,13811113333,un-1,1992-13-01,M,广州,0,');
    expect(rejected[3]).toMatch(/^6,not valid CSV: /);
    const rows = await h.sql(`select name, phone, gender, city, level, to_char(birthday, 'YYYY-MM-DD') as birthday, attributes,
                                     array(select kind || ':' || value from identities i where i.tenant_id = m.tenant_id and i.member_id = m.member_id order by 1) as ids
                                from members m where tenant_id = $1 order by name`, [h.tenantId]);
    expect(rows).toEqual([
      { name: '张三', phone: '13811112222', gender: 'M', city: '北京', level: 2, birthday: '1990-05-01', attributes: { vip_tier: 'gold' }, ids: ['PHONE:13811112222'] },
      { name: '赵六', phone: null, gender: 'F', city: '深圳', level: 0, birthday: '1993-02-03', attributes: { vip_tier: 'silver' }, ids: ['WECHAT_UNIONID:un-2'] },
    ]);
  });

  it('groups item lines into orders across batches and counts a re-import as duplicates', async () => {
    const file = path.join(dir, 'orders.csv');
    const lines = ['channel,channel_order_id,phone,status,amount,discount,created_at,paid_at,sku,product_name,category,quantity,price'];
    for (let i = 0; i < 30; i++) {
      const phone = `1390000${String(i % 7).padStart(4, '0')}`;
      lines.push(`tmall,CSV-${i},${phone},paid,30.00,0,2026-03-01 10:00:00,2026-03-01 10:01:00,A-${i},苹果,fruit,1,10.00`);
      lines.push(`tmall,CSV-${i},${phone},paid,30.00,0,2026-03-01 10:00:00,2026-03-01 10:01:00,B-${i},香蕉,fruit,2,10.00`);
    }
    lines.push('tmall,CSV-bad,13900009999,paid,-5,0,2026-03-01 10:00:00,,C-1,梨,fruit,1,1.00');
    await writeFile(file, lines.join('\n'));
    const progress: number[] = [];
    const s = await importCsvFile({ kind: 'orders', file, tenantId: h.tenantId, pool: h.db.app, batchSize: 8, onProgress: (p) => progress.push(p.rows) });
    expect(s).toMatchObject({ rows: 31, accepted: 30, duplicates: 0, held: 0, rejected: 1 });
    expect((await readFile(s.rejectedFile, 'utf8')).split('\n')[1]).toMatch(/^62,amount: must be >= 0,tmall,CSV-bad,/);
    expect(progress.at(-1)).toBe(31);
    const [stored] = await h.sql(`select count(distinct o.order_id)::int as orders, count(*)::int as items, count(distinct o.member_id)::int as members, created_at
                                   from orders o join order_items i using (tenant_id, order_id) where o.tenant_id = $1 and o.channel_order_id like 'CSV-%' group by created_at`, [h.tenantId]);
    expect(stored).toEqual({ orders: 30, items: 60, members: 7, created_at: new Date('2026-03-01T02:00:00Z') });
    expect(await importCsvFile({ kind: 'orders', file, tenantId: h.tenantId, pool: h.db.app })).toMatchObject({ accepted: 0, duplicates: 30, rejected: 1 });
  });

  it('runs as `npm run import` against DATABASE_URL with the tenant by name', async () => {
    const file = path.join(dir, 'more.csv');
    await writeFile(file, 'channel,channel_order_id,phone,amount,created_at,items\npos,R-1,13700001111,12.5,2026-03-02T09:00:00+08:00,"[{""sku"":""S1"",""quantity"":1,""price"":12.5}]"\n');
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/import.ts', 'orders', file, '--tenant', 'csv-shop'],
      { env: { ...process.env, DATABASE_URL: h.db.url }, cwd: path.resolve(import.meta.dirname, '../..') });
    expect(stdout).toMatch(/accepted\s+1\n/);
    expect(await h.sql(`select status, amount::text from orders where tenant_id = $1 and channel_order_id = 'R-1'`, [h.tenantId]))
      .toEqual([{ status: 'created', amount: '12.50' }]);
    const bad = await promisify(execFile)('npx', ['tsx', 'scripts/import.ts', 'orders', file, '--tenant', 'nobody'],
      { env: { ...process.env, DATABASE_URL: h.db.url } }).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no tenant named "nobody"/);
  });
});
