/** Member profiles: who a member is, which channels they use, and their `members` row. */

import { createHash } from 'node:crypto';
import { Rng, Stream, Weighted, permute8, pad } from './prng.js';
import { CHANNEL_POPULARITY, type Channel } from './channels.js';
import { CATEGORY_POPULARITY, type Category } from './catalog.js';
import { EMAIL_DOMAINS, EMAIL_HANDLES, FEMALE_GIVEN, MALE_GIVEN, NEUTRAL_GIVEN, PHONE_PREFIXES, REGIONS, SURNAMES } from './people.js';
import { HISTORY_DAYS, dayStart, memberPlan, type SeedContext } from './context.js';
import { SHOWCASE, type ShowcaseMember } from './showcase.js';
import { NULL, copyBool, copyBytea, copyNullable } from './copy-text.js';
import { timeOfDay } from './time-of-day.js';

/** Everything the passes need to know about one member. */
export interface MemberProfile {
  index: number;
  memberId: number;
  name: string | null;
  gender: 'M' | 'F' | 'U';
  /** Epoch day of the birthday, or null. */
  birthday: number | null;
  age: number | null;
  phone: string | null;
  email: string | null;
  idCardSha256: string | null;
  province: string;
  city: string;
  regDaysAgo: number;
  /** Epoch seconds of registration. */
  registeredAt: number;
  /** First = registration channel. */
  channels: Channel[];
  level: number;
  points: number;
  married: boolean | null;
  hasChildren: boolean | null;
  attributes: string;
  preferred: Category[];
  /** Orders and events fall on days between these (days before the reference day; newest, oldest). */
  activeDaysAgo: [number, number];
  orderCount: number;
  eventCount: number;
}

const AGE_BANDS = new Weighted<readonly [number, number]>([[[18, 24], 20], [[25, 34], 38], [[35, 44], 24], [[45, 54], 12], [[55, 70], 6]]);
const GENDERS = new Weighted<'M' | 'F' | 'U'>([['F', 55], ['M', 38], ['U', 7]]);
const EXTRA_CHANNELS = new Weighted<number>([[0, 30], [1, 40], [2, 20], [3, 10]]);
const VIP_SOURCES = ['live_stream', 'offline_event', 'referral', 'ad_campaign'] as const;
const SKIN_TYPES = ['oily', 'dry', 'combination', 'sensitive'] as const;

/** Builds member i's profile from its plan and its own random stream. */
export function memberProfile(rng: Rng, ctx: SeedContext, index: number): MemberProfile {
  const plan = memberPlan(rng, ctx.key, index, ctx.ratios);
  const showcase = SHOWCASE[index];
  rng.forMember(ctx.key, Stream.profile, index);
  const registeredAt = Math.min(dayStart(ctx, plan.regDaysAgo) + timeOfDay(rng), ctx.historyEnd - 86_400);
  const p: MemberProfile = {
    index, memberId: ctx.memberIdBase + index, name: null, gender: 'U', birthday: null, age: null, phone: null,
    email: null, idCardSha256: null, province: '', city: '', regDaysAgo: plan.regDaysAgo, registeredAt,
    channels: [], level: 0, points: 0, married: null, hasChildren: null, attributes: '{}', preferred: [],
    activeDaysAgo: [1, Math.min(plan.regDaysAgo, HISTORY_DAYS)], orderCount: plan.orderCount, eventCount: plan.eventCount,
  };
  if (showcase) applyShowcase(p, showcase, ctx, rng);
  else drawProfile(p, rng, ctx);
  if (p.phone === null && (showcase || rng.chance(0.96))) {
    p.phone = (showcase ? showcase.phonePrefix : rng.pick(PHONE_PREFIXES)) + pad(permute8(index, ctx.key), 8);
  }
  if (showcase ? showcase.hasEmail : rng.chance(0.22)) p.email = email(rng, ctx, index);
  return p;
}

function drawProfile(p: MemberProfile, rng: Rng, ctx: SeedContext): void {
  p.gender = GENDERS.pick(rng);
  const given = p.gender === 'M' ? MALE_GIVEN : p.gender === 'F' ? FEMALE_GIVEN : NEUTRAL_GIVEN;
  const name = SURNAMES.pick(rng) + rng.pick(given);
  p.name = rng.chance(0.97) ? name : null;
  const [lo, hi] = AGE_BANDS.pick(rng);
  const age = rng.int(lo, hi);
  if (rng.chance(0.88)) {
    p.age = age;
    p.birthday = ctx.refDay - Math.round(age * 365.25) - rng.int(0, 364);
  }
  if (rng.chance(0.3)) p.idCardSha256 = idCardHash(rng, p.birthday ?? ctx.refDay - Math.round(age * 365.25));
  [p.province, p.city] = REGIONS.pick(rng);
  p.channels = [CHANNEL_POPULARITY.pick(rng)];
  for (let extra = EXTRA_CHANNELS.pick(rng), tries = 0; extra > 0 && tries < 10; tries++) {
    const c = CHANNEL_POPULARITY.pick(rng);
    if (!p.channels.includes(c)) { p.channels.push(c); extra--; }
  }
  const orders = p.orderCount;
  const tier = orders === 0 ? 0 : orders <= 2 ? 1 : orders <= 5 ? 2 : orders <= 10 ? 3 : orders <= 20 ? 4 : 5;
  p.level = Math.max(0, Math.min(5, tier + (rng.chance(0.2) ? rng.pick([-1, 1]) : 0)));
  p.points = p.level === 0 ? rng.int(0, 200) : orders * rng.int(40, 260) + rng.int(0, 500);
  if (rng.chance(0.65)) p.married = rng.chance(age < 25 ? 0.1 : age < 35 ? 0.55 : 0.85);
  if (rng.chance(0.6)) p.hasChildren = p.married === true ? rng.chance(0.7) : rng.chance(0.05);
  const attrs: string[] = [];
  if (rng.chance(p.channels[0] === 'douyin' ? 0.5 : 0.08)) {
    attrs.push(`"vip_source": "${p.channels[0] === 'douyin' ? 'live_stream' : rng.pick(VIP_SOURCES)}"`);
  }
  if (p.gender === 'F' && rng.chance(0.15)) attrs.push(`"skin_type": "${rng.pick(SKIN_TYPES)}"`);
  const pet = rng.chance(0.08) ? rng.pick(['cat', 'dog']) : null;
  if (pet) attrs.push(`"pet": "${pet}"`);
  if (p.channels.includes('pos') && rng.chance(0.5)) attrs.push(`"preferred_store": "${p.city}"`);
  if (p.channels.includes('wechat_mp') && rng.chance(0.4)) attrs.push('"wechat_follower": true');
  p.attributes = `{${attrs.join(', ')}}`;
  p.preferred = [pet ? 'pet' : p.hasChildren ? 'baby' : p.gender === 'F' && rng.chance(0.5) ? 'skincare' : CATEGORY_POPULARITY.pick(rng),
    CATEGORY_POPULARITY.pick(rng)];
  // some members stopped buying a while ago (churn); their activity ends months back
  const oldest = p.activeDaysAgo[1];
  if (oldest > 200 && rng.chance(0.15)) p.activeDaysAgo = [rng.int(180, oldest - 10), oldest];
}

function applyShowcase(p: MemberProfile, s: ShowcaseMember, ctx: SeedContext, rng: Rng): void {
  p.name = s.name;
  p.gender = s.gender;
  p.age = s.age;
  const birthday = new Date((ctx.refDay + s.birthdayInDays) * 86_400_000);
  birthday.setUTCFullYear(birthday.getUTCFullYear() - s.age);
  p.birthday = Math.floor(birthday.getTime() / 86_400_000);
  p.idCardSha256 = idCardHash(rng, p.birthday);
  [p.province, p.city] = s.region;
  p.channels = [...s.channels];
  p.level = s.level;
  p.points = s.orderCount * 180;
  p.married = s.married;
  p.hasChildren = s.hasChildren;
  p.attributes = JSON.stringify(s.attributes);
  p.preferred = [...s.preferred];
  p.activeDaysAgo = [s.activeDaysAgo[0], s.activeDaysAgo[1]];
}

/** SHA-256 (hex) of a plausible 18-character national id; the id itself is never stored. */
function idCardHash(rng: Rng, birthdayDay: number): string {
  const birth = new Date(birthdayDay * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const id = `${rng.int(110000, 659000)}${birth}${pad(rng.int(0, 999), 3)}${rng.pick(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'])}`;
  return createHash('sha256').update(id).digest('hex');
}

/** A unique address: the local part carries a bijection of the member index. */
function email(rng: Rng, ctx: SeedContext, index: number): string {
  const domain = EMAIL_DOMAINS.pick(rng);
  const unique = permute8(index, ctx.key ^ 0x5bd1e995);
  if (domain === 'qq.com') return `${100_000_000 + unique}@qq.com`;
  return `${rng.pick(EMAIL_HANDLES)}.${unique.toString(36)}@${domain}`;
}

/** The member's row in COPY text format (column order of MEMBER_COLUMNS). */
export function memberLine(ctx: SeedContext, p: MemberProfile): string {
  const fmt = ctx.fmt;
  const reg = fmt.timestamp(p.registeredAt);
  return `${ctx.tenantId}\t${p.memberId}\t${copyNullable(p.name)}\t${p.gender}\t${p.birthday === null ? NULL : fmt.date(p.birthday)}\t` +
    `${copyNullable(p.phone)}\t${copyNullable(p.email)}\t${p.idCardSha256 === null ? NULL : copyBytea(p.idCardSha256)}\t` +
    `${p.province}\t${p.city}\t${reg}\t${p.channels[0]}\t${p.level}\t${p.points}\t${copyBool(p.married)}\t` +
    `${copyBool(p.hasChildren)}\t${p.attributes}\t${reg}\t${reg}\n`;
}

/** Columns of memberLine, for the COPY statement. */
export const MEMBER_COLUMNS = 'tenant_id, member_id, name, gender, birthday, phone, email, id_card_sha256, province, city, ' +
  'registered_at, registered_channel, level, points, married, has_children, attributes, created_at, updated_at';
