/** Sales channels (lower case, as the DSL writes them) and how often members come from each. */

import { Weighted } from './prng.js';

/** Every channel of data-model.md, in lower case. */
export const CHANNELS = ['tmall', 'taobao', 'jd', 'pdd', 'vip', 'douyin', 'wechat_mp', 'app', 'web', 'pos'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Where members come from (registration channel and extra channels they also use). */
export const CHANNEL_POPULARITY = new Weighted<Channel>([
  ['tmall', 18], ['taobao', 12], ['jd', 15], ['pdd', 12], ['vip', 5], ['douyin', 10], ['wechat_mp', 12],
  ['app', 8], ['web', 3], ['pos', 5],
]);

/** Channels the brand runs itself: members registered there get the brand's CRM id (EXTERNAL_ID). */
export const OWN_CHANNELS: ReadonlySet<Channel> = new Set<Channel>(['wechat_mp', 'app', 'web', 'pos']);

/** Offline stores, by city; POS orders carry one of these as store_id. */
export function storeId(city: string, n: number): string {
  return `${STORE_CITY_CODES[city] ?? 'CN'}-${String(n).padStart(3, '0')}`;
}

const STORE_CITY_CODES: Record<string, string> = {
  深圳: 'SZ', 广州: 'GZ', 东莞: 'DG', 佛山: 'FS', 杭州: 'HZ', 宁波: 'NB', 温州: 'WZ', 上海: 'SH', 北京: 'BJ',
  南京: 'NJ', 苏州: 'SU', 无锡: 'WX', 成都: 'CD', 重庆: 'CQ', 武汉: 'WH', 长沙: 'CS', 西安: 'XA', 济南: 'JN',
  青岛: 'QD', 厦门: 'XM', 福州: 'FZ', 郑州: 'ZZ', 天津: 'TJ', 合肥: 'HF', 沈阳: 'SY', 大连: 'DL',
};

/** The shop id an online order of `channel` carries (the brand's flagship store there). */
export const ONLINE_SHOP: Record<Exclude<Channel, 'pos'>, string> = {
  tmall: 'tmall-flagship', taobao: 'taobao-shop', jd: 'jd-flagship', pdd: 'pdd-flagship', vip: 'vip-brand-sale',
  douyin: 'douyin-live', wechat_mp: 'wechat-mall', app: 'app-mall', web: 'web-mall',
};
