import type { Queryable } from '../ingest/db.js';
import { FieldError } from '../ingest/fields.js';
import { importValidOrders, type Checked } from '../ingest/pipeline.js';
import { emptyResult, type ImportResult } from '../ingest/result.js';
import { validateOrder, type OrderRow } from '../ingest/validate.js';
import { douyinAdapter } from './douyin.js';
import { jdAdapter } from './jd.js';
import { pddAdapter } from './pdd.js';
import { posAdapter } from './pos.js';
import { taobaoAdapter } from './taobao.js';
import type { ChannelAdapter } from './unified.js';
import { wechatAdapter } from './wechat-mp.js';

/** The adapter for each Channel enum value that has one (VIP, APP and WEB send the unified shape). */
export const ADAPTERS: Readonly<Record<string, ChannelAdapter>> = {
  TMALL: taobaoAdapter('tmall'),
  TAOBAO: taobaoAdapter('taobao'),
  JD: jdAdapter,
  PDD: pddAdapter,
  DOUYIN: douyinAdapter,
  WECHAT_MP: wechatAdapter,
  POS: posAdapter,
};

/**
 * Maps each element of `payload` with the channel's adapter and imports the result as importOrders
 * does. A payload element that does not map is rejected with the path of its wrong source field
 * (`payload[3].orders[0].price: must be a number`); the others are imported. Returns null when the
 * channel has no adapter.
 */
export function importChannelOrders(db: Queryable, tenantId: string, channel: string, payload: readonly unknown[]): Promise<ImportResult> | null {
  const adapter = ADAPTERS[channel];
  if (!adapter) return null;
  return (async () => {
    const result = emptyResult();
    const valid: Array<Checked<OrderRow>> = [];
    payload.forEach((p, i) => {
      const path = `payload[${i}]`;
      try {
        valid.push({ index: i, path, row: validateOrder(adapter(p, path), path) });
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        result.rejected.push({ index: i, message: err.message });
      }
    });
    await importValidOrders(db, tenantId, valid, result);
    result.rejected.sort((a, b) => a.index - b.index);
    return result;
  })();
}
