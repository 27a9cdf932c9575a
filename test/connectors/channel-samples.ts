/** One realistic order per channel, shaped after each platform's published order API. */

export const taobaoTrade = {
  tid: 3712345678901234, tid_str: '3712345678901234', status: 'TRADE_FINISHED', buyer_open_uid: 'AAHk5d-EAAeGwJedwSHpg8bT',
  buyer_nick: 't**1', receiver_mobile: '13912345678', payment: '268.00', total_fee: '298.00', discount_fee: '30.00', post_fee: '0.00',
  created: '2026-03-08 20:15:31', pay_time: '2026-03-08 20:16:02', seller_nick: '某某旗舰店',
  orders: { order: [
    { oid: 3712345678901235, num_iid: 612345678901, sku_id: '4812345678901', title: '智利车厘子 2斤装', price: '149.00', num: 2, cid: 50050359, payment: '268.00' },
  ] },
};

export const jdOrder = {
  orderId: '290123456789', venderId: '10086', pin: 'jd_7f3a9c2b1e', orderState: 'WAIT_SELLER_STOCK_OUT', orderTotalPrice: '5999.00',
  orderPayment: '5799.00', sellerDiscount: '200.00', freightPrice: '0.00', orderStartTime: '2026-03-09 10:00:00',
  paymentConfirmTime: '2026-03-09 10:01:12', consigneeInfo: { fullname: '李*', mobile: '138****5678' },
  itemInfoList: [{ skuId: '100012345678', skuName: '某品牌 65英寸 4K 电视', jdPrice: '5999.00', itemTotal: '1' }],
};

export const pddOrder = {
  order_sn: '260310-123456789012345', order_status: 2, refund_status: 1, confirm_status: 1, pay_amount: 39.9, goods_amount: 49.9,
  discount_amount: 10, created_time: '2026-03-10 12:30:00', pay_time: '2026-03-10 12:30:20', receiver_phone: '15012345678',
  item_list: [{ goods_id: 123456789, sku_id: 987654321, goods_name: '砂糖橘 5斤', goods_price: 24.95, goods_count: 2 }],
};

export const douyinOrder = {
  order_id: '6912345678901234567', shop_id: 7788, order_status: 3, pay_amount: 12900, order_amount: 15900, promotion_amount: 3000,
  create_time: 1773120000, pay_time: 1773120060, doudian_open_id: 'dd_open_1a2b3c', encrypt_post_tel: '#abc#def==', post_tel: '',
  sku_order_list: [{ sku_id: 1700000001, product_id: 3600000001, product_name: '防晒霜 50ml', item_num: 3, origin_amount: 15900, first_cid: 20085 }],
};

export const wechatOrder = {
  order_id: '3712000012345678', openid: 'oAbCdEf-123', unionid: 'uNiOn-456', status: 100, create_time: 1773206400,
  order_detail: {
    product_infos: [{ product_id: '10000123', sku_id: '20000456', sku_cnt: 2, sale_price: 4950, title: '挂耳咖啡 10包' }],
    price_info: { product_price: 9900, order_price: 8900, freight: 0, discounted_price: 1000 },
    pay_info: { pay_time: 1773206460, transaction_id: '4200001234' },
  },
};

export const posReceipt = {
  store_id: 'SH-001', receipt_no: '000123', type: 'sale', time: '2026-03-12 18:45:00', member_card: 'VIP-0099', phone: '186 1234 5678',
  amount: 57.5, discount: 5, items: [{ sku: '6901234567890', name: '鲜牛奶 1L', category: 'dairy', qty: 5, price: 12.5 }],
};
