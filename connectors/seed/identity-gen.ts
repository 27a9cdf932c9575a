/**
 * A member's identities: PHONE and EMAIL when known, one id per channel family they use, and the
 * brand's CRM id for members who joined on an own channel. Values that must be unique per tenant
 * embed a bijection of the member index; the rest of each value is random filler for realism.
 */

import { Rng, Stream, base62x6, mix32, pad, permute8, randomChars } from './prng.js';
import { OWN_CHANNELS, type Channel } from './channels.js';
import type { SeedContext } from './context.js';
import type { MemberProfile } from './member-gen.js';

const HEX = '0123456789abcdef';
const URL_SAFE = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';

/** Columns of identityLines, for the COPY statement. */
export const IDENTITY_COLUMNS = 'tenant_id, kind, value, member_id, channel, created_at';

/** The member's identities as COPY text lines, and how many there are. */
export function identityLines(rng: Rng, ctx: SeedContext, p: MemberProfile): { text: string; rows: number } {
  rng.forMember(ctx.key, Stream.identities, p.index);
  const i = p.index;
  const k = ctx.key;
  const uniq = (salt: number): number => mix32((i ^ mix32(k + salt)) >>> 0);
  const created = ctx.fmt.timestamp(p.registeredAt);
  const has = (c: Channel): boolean => p.channels.includes(c);
  let text = '';
  let rows = 0;
  const add = (kind: string, value: string, channel: Channel): void => {
    text += `${ctx.tenantId}\t${kind}\t${value}\t${p.memberId}\t${channel}\t${created}\n`;
    rows++;
  };
  const home = p.channels[0];
  if (p.phone !== null) add('PHONE', p.phone, home);
  if (p.email !== null) add('EMAIL', p.email, has('web') ? 'web' : home);
  if (has('tmall') || has('taobao')) {
    add('TAOBAO_OUID', `AAH${base62x6(uniq(1))}${randomChars(rng, 15, URL_SAFE)}`, has('tmall') ? 'tmall' : 'taobao');
  }
  if (has('jd')) add('JD_PIN', `jd_${uniq(2).toString(16).padStart(8, '0')}${randomChars(rng, 4, HEX)}`, 'jd');
  if (has('pdd')) add('PDD_UID', String(5_000_000_000 + uniq(3)), 'pdd');
  if (has('douyin')) add('DOUYIN_OPENID', `_000${base62x6(uniq(4))}${randomChars(rng, 22, URL_SAFE)}`, 'douyin');
  if (has('wechat_mp')) {
    add('WECHAT_OPENID', `o${randomChars(rng, 5, URL_SAFE)}${base62x6(uniq(5))}${randomChars(rng, 16, URL_SAFE)}`, 'wechat_mp');
    add('WECHAT_UNIONID', `o${randomChars(rng, 3, URL_SAFE)}${base62x6(uniq(6))}${randomChars(rng, 18, URL_SAFE)}`, 'wechat_mp');
  }
  if (has('pos')) add('POS_CARD', `8860${pad(permute8(i, k ^ 0x27d4eb2f), 8)}${pad(rng.int(0, 9999), 4)}`, 'pos');
  if (has('app')) add('APP_USER_ID', `u${pad(permute8(i, k ^ 0x165667b1), 8)}`, 'app');
  if (OWN_CHANNELS.has(home)) add('EXTERNAL_ID', `CRM${pad(i + 1, 9)}`, home);
  return { text, rows };
}
