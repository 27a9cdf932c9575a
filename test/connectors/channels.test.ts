import { describe, it, expect, beforeAll } from 'vitest';
import { ADAPTERS } from '../../connectors/channels/index.js';
import { validateOrder } from '../../connectors/ingest/validate.js';
import { ingestHarness, type IngestHarness } from '../ingest/harness.js';
import * as s from './channel-samples.js';

const map = (channel: string, payload: unknown) => validateOrder(ADAPTERS[channel](payload, 'payload[0]'), 'payload[0]');
const item = (sku: string, productName: string, category: string, quantity: number, price: string) => ({ sku, productName, category, quantity, price });

describe('channel adapters map each platform order to the unified order', () => {
  it('Tmall / Taobao trade: tid, buyer_open_uid, receiver_mobile, payment in yuan, +08:00 wall-clock times', () => {
    expect(map('TMALL', s.taobaoTrade)).toEqual({
      channel: 'tmall', channelOrderId: '3712345678901234',
      identities: [{ kind: 'TAOBAO_OUID', value: 'AAHk5d-EAAeGwJedwSHpg8bT' }, { kind: 'PHONE', value: '13912345678' }],
      status: 'completed', amount: '268.00', discount: '30.00',
      createdAt: new Date('2026-03-08T12:15:31Z'), paidAt: new Date('2026-03-08T12:16:02Z'), storeId: '某某旗舰店',
      items: [item('4812345678901', '智利车厘子 2斤装', '50050359', 2, '149.00')],
    });
    expect(map('TAOBAO', { ...s.taobaoTrade, status: 'TRADE_CLOSED', pay_time: '' }).status).toBe('cancelled');
    expect(map('TAOBAO', { ...s.taobaoTrade, status: 'TRADE_CLOSED' })).toMatchObject({ channel: 'taobao', status: 'refunded' });
  });

  it('JD: orderId, pin, orderPayment, sellerDiscount; a masked consignee mobile is skipped', () => {
    expect(map('JD', s.jdOrder)).toEqual({
      channel: 'jd', channelOrderId: '290123456789', identities: [{ kind: 'JD_PIN', value: 'jd_7f3a9c2b1e' }],
      status: 'paid', amount: '5799.00', discount: '200.00',
      createdAt: new Date('2026-03-09T02:00:00Z'), paidAt: new Date('2026-03-09T02:01:12Z'), storeId: '10086',
      items: [item('100012345678', '某品牌 65英寸 4K 电视', 'unknown', 1, '5999.00')],
    });
    expect(map('JD', { ...s.jdOrder, orderState: 'TRADE_CANCELED', paymentConfirmTime: '0000-00-00 00:00:00' }).status).toBe('cancelled');
  });

  it('Pinduoduo: order_sn, order_status 1/2/3, refund_status 4 → refunded', () => {
    expect(map('PDD', s.pddOrder)).toEqual({
      channel: 'pdd', channelOrderId: '260310-123456789012345', identities: [{ kind: 'PHONE', value: '15012345678' }],
      status: 'shipped', amount: '39.90', discount: '10.00',
      createdAt: new Date('2026-03-10T04:30:00Z'), paidAt: new Date('2026-03-10T04:30:20Z'), storeId: null,
      items: [item('987654321', '砂糖橘 5斤', 'unknown', 2, '24.95')],
    });
    expect(map('PDD', { ...s.pddOrder, refund_status: 4 }).status).toBe('refunded');
  });

  it('Douyin: fen → yuan, Unix seconds, doudian_open_id; the encrypted phone is ignored', () => {
    expect(map('DOUYIN', s.douyinOrder)).toEqual({
      channel: 'douyin', channelOrderId: '6912345678901234567', identities: [{ kind: 'DOUYIN_OPENID', value: 'dd_open_1a2b3c' }],
      status: 'shipped', amount: '129.00', discount: '30.00',
      createdAt: new Date(1773120000_000), paidAt: new Date(1773120060_000), storeId: '7788',
      items: [item('1700000001', '防晒霜 50ml', '20085', 3, '53.00')],
    });
    expect(map('DOUYIN', { ...s.douyinOrder, order_status: 4 }).status).toBe('refunded');
  });

  it('WeChat mini-program shop: unionid (strong) and openid, order_detail.price_info.order_price in fen', () => {
    expect(map('WECHAT_MP', s.wechatOrder)).toEqual({
      channel: 'wechat_mp', channelOrderId: '3712000012345678',
      identities: [{ kind: 'WECHAT_UNIONID', value: 'uNiOn-456' }, { kind: 'WECHAT_OPENID', value: 'oAbCdEf-123' }],
      status: 'completed', amount: '89.00', discount: '10.00',
      createdAt: new Date(1773206400_000), paidAt: new Date(1773206460_000), storeId: null,
      items: [item('20000456', '挂耳咖啡 10包', 'unknown', 2, '49.50')],
    });
  });

  it('POS receipt: store_id-receipt_no, member card and phone, paid at the till', () => {
    expect(map('POS', s.posReceipt)).toEqual({
      channel: 'pos', channelOrderId: 'SH-001-000123',
      identities: [{ kind: 'POS_CARD', value: 'VIP-0099' }, { kind: 'PHONE', value: '18612345678' }],
      status: 'completed', amount: '57.50', discount: '5.00',
      createdAt: new Date('2026-03-12T10:45:00Z'), paidAt: new Date('2026-03-12T10:45:00Z'), storeId: 'SH-001',
      items: [item('6901234567890', '鲜牛奶 1L', 'dairy', 5, '12.50')],
    });
  });
});

describe('importChannelOrders', () => {
  let h: IngestHarness;
  const IMPORT = `mutation ($channel: Channel!, $payload: [JSON!]!) {
    importChannelOrders(channel: $channel, payload: $payload) { accepted duplicates held rejected { index message } } }`;

  beforeAll(async () => {
    h = await ingestHarness();
  });

  it('imports every channel and rejects malformed payloads with the wrong source field', async () => {
    const run = async (channel: string, payload: unknown[]) => (await h.ok(IMPORT, { channel, payload })).importChannelOrders;
    expect(await run('TMALL', [
      s.taobaoTrade,
      { ...s.taobaoTrade, tid_str: 'T-2', orders: { order: [{ ...s.taobaoTrade.orders.order[0], price: 'abc' }] } },
      { ...s.taobaoTrade, tid_str: 'T-3', status: 'WAIT_SOMETHING' },
      'not an object',
    ])).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [
      { index: 1, message: 'payload[1].orders.order[0].price: must be a number' },
      { index: 2, message: expect.stringMatching(/^payload\[2\]\.status: unknown status "WAIT_SOMETHING" \(known: TRADE_NO_CREATE_PAY, /) },
      { index: 3, message: 'payload[3]: must be an object' },
    ] });
    // JD's pin is a weak identity: with the consignee mobile masked, the order waits for a member
    expect(await run('JD', [s.jdOrder, { ...s.jdOrder, orderId: undefined }, { ...s.jdOrder, orderId: 'J-3', pin: '' }])).toEqual({
      accepted: 0, duplicates: 0, held: 1, rejected: [
        { index: 1, message: 'payload[1].orderId: is required' },
        { index: 2, message: 'payload[2]: no buyer identity: needs pin, open_id_buyer or an unmasked consigneeInfo.mobile' },
      ] });
    expect(await run('PDD', [s.pddOrder])).toMatchObject({ accepted: 1, rejected: [] });
    expect(await run('DOUYIN', [s.douyinOrder, { ...s.douyinOrder, order_id: 'D-2', pay_amount: 12.5 }])).toEqual({
      accepted: 0, duplicates: 0, held: 1, rejected: [{ index: 1, message: 'payload[1].pay_amount: must be a whole number of fen' }] });
    expect(await run('WECHAT_MP', [s.wechatOrder])).toMatchObject({ accepted: 1, rejected: [] });
    expect(await run('POS', [s.posReceipt, { ...s.posReceipt, receipt_no: '124', phone: '5551234' }])).toEqual({
      accepted: 1, duplicates: 0, held: 0, rejected: [{ index: 1, message: 'payload[1].phone: is not a phone number (11-digit mainland mobile or +country number): "5551234"' }] });
    expect(await run('TMALL', [s.taobaoTrade])).toEqual({ accepted: 0, duplicates: 1, held: 0, rejected: [] });

    const stored = await h.sql(`select channel, channel_order_id, status, amount::text, created_at from orders where tenant_id = $1 order by channel`, [h.tenantId]);
    expect(stored.map((o) => `${o.channel}:${o.status}:${o.amount}`)).toEqual(['pdd:shipped:39.90', 'pos:completed:57.50', 'tmall:completed:268.00', 'wechat_mp:completed:89.00']);
    expect(await h.sql(`select record_kind, identity_keys from held_records where tenant_id = $1 order by held_id`, [h.tenantId])).toEqual([
      { record_kind: 'order', identity_keys: ['JD_PIN:jd_7f3a9c2b1e'] },
      { record_kind: 'order', identity_keys: ['DOUYIN_OPENID:dd_open_1a2b3c'] },
    ]);
    // a later JD order that carries the buyer's phone links the pin: the held order attaches
    expect(await run('JD', [{ ...s.jdOrder, orderId: 'J-4', consigneeInfo: { mobile: '13812340000' } }])).toMatchObject({ accepted: 1 });
    expect(await h.sql(`select o.channel_order_id, i.value from orders o join identities i on i.tenant_id = o.tenant_id and i.member_id = o.member_id and i.kind = 'PHONE'
                         where o.tenant_id = $1 and o.channel = 'jd' order by 1`, [h.tenantId]))
      .toEqual([{ channel_order_id: '290123456789', value: '13812340000' }, { channel_order_id: 'J-4', value: '13812340000' }]);
  });

  it('answers BAD_USER_INPUT for a channel without an adapter', async () => {
    const r = await h.gw.graphql(IMPORT, { channel: 'VIP', payload: [{}] }, h.token);
    expect(r.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'channel' } });
  });
});
