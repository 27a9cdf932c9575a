/**
 * The first members of every seeded tenant are scripted, not drawn, so documentation and demos can
 * rely on them whatever the seed: member index 0 is the tenant's lowest member_id, index 1 the next.
 * Their identities' values (phone suffix, channel ids) still come from the seed, like everyone's.
 */

import type { Channel } from './channels.js';
import type { Category } from './catalog.js';

/** A scripted member: the facts the generator must honour for it. */
export interface ShowcaseMember {
  story: string;
  name: string;
  gender: 'M' | 'F' | 'U';
  age: number;
  /** Birthday falls this many days after the reference day. */
  birthdayInDays: number;
  region: readonly [string, string];
  /** First channel = registration channel. */
  channels: readonly Channel[];
  phonePrefix: string;
  hasEmail: boolean;
  regDaysAgo: number;
  /** Orders and events fall between these many days ago (newest, oldest). */
  activeDaysAgo: readonly [number, number];
  orderCount: number;
  eventCount: number;
  level: number;
  married: boolean | null;
  hasChildren: boolean | null;
  preferred: readonly Category[];
  attributes: Readonly<Record<string, string | boolean>>;
}

/** Scripted members by member index. */
export const SHOWCASE: ReadonlyArray<ShowcaseMember> = [
  { story: 'omni-channel VIP: orders on tmall, jd, wechat_mp and pos',
    name: '张伟', gender: 'M', age: 35, birthdayInDays: 40, region: ['广东', '深圳'],
    channels: ['tmall', 'jd', 'wechat_mp', 'pos'], phonePrefix: '138', hasEmail: true, regDaysAgo: 1200,
    activeDaysAgo: [1, 540], orderCount: 24, eventCount: 60, level: 5, married: true, hasChildren: true,
    preferred: ['electronics', 'fresh_food'], attributes: { vip_source: 'offline_event' } },
  { story: 'beauty lover from live streams: tmall and douyin, mostly beauty and skincare',
    name: '李娜', gender: 'F', age: 28, birthdayInDays: 120, region: ['上海', '上海'],
    channels: ['douyin', 'tmall'], phonePrefix: '139', hasEmail: false, regDaysAgo: 400,
    activeDaysAgo: [2, 395], orderCount: 15, eventCount: 45, level: 4, married: false, hasChildren: false,
    preferred: ['beauty', 'skincare'], attributes: { vip_source: 'live_stream', skin_type: 'combination' } },
  { story: 'young mother: baby and dairy on wechat_mp, pdd and the app',
    name: '王芳', gender: 'F', age: 31, birthdayInDays: 200, region: ['浙江', '杭州'],
    channels: ['wechat_mp', 'pdd', 'app'], phonePrefix: '186', hasEmail: true, regDaysAgo: 300,
    activeDaysAgo: [3, 290], orderCount: 12, eventCount: 40, level: 3, married: true, hasChildren: true,
    preferred: ['baby', 'dairy'], attributes: { wechat_follower: true } },
  { story: 'churned: jd only, no order or event in the last 300 days',
    name: '刘洋', gender: 'M', age: 42, birthdayInDays: 300, region: ['北京', '北京'],
    channels: ['jd'], phonePrefix: '135', hasEmail: false, regDaysAgo: 1500,
    activeDaysAgo: [300, 548], orderCount: 8, eventCount: 12, level: 2, married: true, hasChildren: null,
    preferred: ['electronics', 'books'], attributes: {} },
  { story: 'new member: registered on douyin 3 days ago, one order, birthday in 7 days',
    name: '陈静', gender: 'F', age: 23, birthdayInDays: 7, region: ['四川', '成都'],
    channels: ['douyin'], phonePrefix: '177', hasEmail: false, regDaysAgo: 3,
    activeDaysAgo: [1, 3], orderCount: 1, eventCount: 6, level: 1, married: null, hasChildren: null,
    preferred: ['snacks', 'fruit'], attributes: { vip_source: 'live_stream' } },
];
