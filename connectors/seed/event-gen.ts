/**
 * A member's behaviour events: a `register` event at registration (when it falls inside the
 * history), then logins, product views, searches, carts, favourites, shares and coupon clicks inside
 * the member's active days, sorted by time. event_id is UUID-shaped and starts with the member index
 * and the event's number, so it is unique per tenant and grows in generation order.
 */

import { Rng, Stream, Weighted } from './prng.js';
import { CATEGORY_POPULARITY, KEYWORDS, PRODUCTS, type Category } from './catalog.js';
import type { Channel } from './channels.js';
import { HISTORY_DAYS, dayStart, type SeedContext } from './context.js';
import { timeOfDay } from './time-of-day.js';
import type { MemberProfile } from './member-gen.js';

/** Columns of the event lines, for the COPY statement. */
export const EVENT_COLUMNS = 'tenant_id, id, event_id, member_id, name, channel, occurred_at, properties, received_at';

const NAMES = new Weighted<string>([['view_product', 35], ['login', 20], ['search', 12], ['add_to_cart', 12],
  ['click_coupon', 8], ['favorite', 6], ['share', 5]]);
const REGISTER_SOURCES = ['organic', 'organic', 'live_stream', 'ad', 'referral'] as const;
const SHARE_TARGETS = ['wechat_friend', 'moments', 'weibo', 'qq'] as const;
const COUPONS = ['{"coupon_id": "CPN-99-10", "value": 10, "threshold": 99}', '{"coupon_id": "CPN-199-20", "value": 20, "threshold": 199}',
  '{"coupon_id": "CPN-299-30", "value": 30, "threshold": 299}', '{"coupon_id": "CPN-399-50", "value": 50, "threshold": 399}',
  '{"coupon_id": "NEW-5", "value": 5, "threshold": 0}'] as const;
const DEVICES: Partial<Record<Channel, string>> = { wechat_mp: 'mini_program', pos: 'store_kiosk', web: 'pc' };

let times = new Float64Array(128);

/** Generates member `p`'s events (ids from the reserved block) as COPY text. */
export function eventLines(rng: Rng, ctx: SeedContext, p: MemberProfile): { text: string; rows: number } {
  const n = p.eventCount;
  if (n === 0) return { text: '', rows: 0 };
  rng.forMember(ctx.key, Stream.events, p.index);
  if (times.length < n) times = new Float64Array(n * 2);
  const registers = p.regDaysAgo <= HISTORY_DAYS ? 1 : 0;
  const [newest, oldest] = p.activeDaysAgo;
  for (let k = 0; k < n; k++) {
    let t = dayStart(ctx, rng.int(newest, oldest)) + timeOfDay(rng);
    if (t <= p.registeredAt) t = p.registeredAt + rng.int(30, 6 * 3600);
    times[k] = t;
  }
  if (registers) times[0] = p.registeredAt;
  const sorted = times.subarray(0, n).sort();
  const fmt = ctx.fmt;
  const memberHex = hex8(p.index);
  const firstId = ctx.eventIdBase + ctx.eventStart[p.index];
  let text = '';
  for (let k = 0; k < n; k++) {
    const isRegister = registers === 1 && k === 0;
    const name = isRegister ? 'register' : NAMES.pick(rng);
    const channel = isRegister ? p.channels[0] : rng.chance(0.5) ? p.channels[0] : rng.pick(p.channels);
    const u = (rng.next() * 0x1_0000_0000) >>> 0;
    const tail = hex8(u) + hex8((rng.next() * 0x1_0000_0000) >>> 0) + hex8((rng.next() * 0x1_0000_0000) >>> 0);
    const eventId = `${memberHex}-${HEX_BYTE[k >>> 8]}${HEX_BYTE[k & 255]}-4${tail.slice(0, 3)}-${'89ab'[u >>> 30]}${tail.slice(3, 6)}-${tail.slice(6, 18)}`;
    const at = sorted[k];
    text += `${ctx.tenantId}\t${firstId + k}\t${eventId}\t${p.memberId}\t${name}\t${channel}\t${fmt.timestamp(at)}\t` +
      `${properties(rng, p, name, channel)}\t${fmt.timestamp(at + rng.int(0, 5))}\n`;
  }
  return { text, rows: n };
}

function properties(rng: Rng, p: MemberProfile, name: string, channel: Channel): string {
  switch (name) {
    case 'register': return `{"source": "${rng.pick(REGISTER_SOURCES)}"}`;
    case 'login': return `{"device": "${DEVICES[channel] ?? (rng.chance(0.6) ? 'android' : 'ios')}"}`;
    case 'search': return `{"keyword": "${rng.pick(KEYWORDS[category(rng, p)])}", "results": ${rng.int(0, 400)}}`;
    case 'click_coupon': return rng.pick(COUPONS);
    default: {
      const product = rng.pick(PRODUCTS[category(rng, p)]);
      if (name === 'add_to_cart') return `{${product.json}, "quantity": ${rng.chance(0.8) ? 1 : rng.int(2, 4)}}`;
      if (name === 'share') return `{${product.json}, "target": "${rng.pick(SHARE_TARGETS)}"}`;
      return `{${product.json}}`;
    }
  }
}

function category(rng: Rng, p: MemberProfile): Category {
  return rng.chance(0.6) ? rng.pick(p.preferred) : CATEGORY_POPULARITY.pick(rng);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(u: number): string {
  return HEX_BYTE[u >>> 24] + HEX_BYTE[(u >>> 16) & 255] + HEX_BYTE[(u >>> 8) & 255] + HEX_BYTE[u & 255];
}
