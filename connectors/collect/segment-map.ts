import { CHANNELS } from '../ingest/validate.js';
import { text } from '../ingest/fields.js';

/**
 * Segment tracking-API messages → this gateway's import inputs (graphql-contract.md, "Event
 * collection"). Pure: the endpoint validates the results with the same validators as the GraphQL
 * imports, so a bad message is rejected with a path such as `batch[3].traits.phone`.
 */

/** One message, mapped: a member record (identify, alias) or an event (track, page, screen, group). */
export type Mapped =
  | { kind: 'member'; input: Record<string, unknown>; path: string }
  | { kind: 'event'; input: Record<string, unknown>; path: string }
  | { kind: 'invalid'; message: string };

const MEMBER_TRAITS = new Set(['name', 'firstName', 'lastName', 'gender', 'birthday', 'phone', 'email', 'address', 'province',
  'city', 'createdAt', 'level', 'points', 'married', 'hasChildren']);
const GENDER_WORDS = new Set(['m', 'f', 'u', 'male', 'female', 'unknown', '男', '女', '未知']);

type Msg = Record<string, any>;

/** userId → APP_USER_ID (strong), anonymousId → ANONYMOUS_ID (weak). */
function identitiesOf(m: Msg): Array<{ kind: string; value: unknown }> {
  const ids: Array<{ kind: string; value: unknown }> = [];
  if (m.userId !== undefined && m.userId !== null && m.userId !== '') ids.push({ kind: 'APP_USER_ID', value: String(m.userId) });
  if (m.anonymousId !== undefined && m.anonymousId !== null && m.anonymousId !== '') ids.push({ kind: 'ANONYMOUS_ID', value: String(m.anonymousId) });
  return ids;
}

/**
 * The channel of an event: `context.channel`, `properties.channel` or `channel` when it names a Channel
 * (`wechat_mp`, `app`, ...); otherwise web for page calls and messages with context.page, app for
 * screen calls and messages from a mobile app (context.app / context.device); otherwise none.
 */
function channelOf(m: Msg, type: string): string | null {
  for (const c of [m.context?.channel, m.properties?.channel, m.channel]) {
    if (typeof c === 'string' && (CHANNELS as readonly string[]).includes(c.toLowerCase())) return c.toLowerCase();
  }
  if (type === 'page' || m.context?.page) return 'web';
  if (type === 'screen' || m.context?.app || m.context?.device) return 'app';
  return null;
}

const timeOf = (m: Msg) => m.timestamp ?? m.originalTimestamp ?? new Date();

/** identify traits → MemberInput fields; traits that are not member fields go to attributes. */
function memberFromTraits(traits: Msg, ids: Array<{ kind: string; value: unknown }>): Record<string, unknown> {
  const name = traits.name ?? (traits.lastName || traits.firstName ? `${traits.lastName ?? ''}${traits.firstName ?? ''}` : undefined);
  const attributes: Msg = {};
  for (const [k, v] of Object.entries(traits)) if (!MEMBER_TRAITS.has(k)) attributes[k] = v;
  const gender = typeof traits.gender === 'string' && GENDER_WORDS.has(traits.gender.trim().toLowerCase()) ? traits.gender : undefined;
  if (traits.gender !== undefined && gender === undefined) attributes.gender = traits.gender;
  const birthday = typeof traits.birthday === 'string' ? traits.birthday.slice(0, 10) : traits.birthday;
  return {
    identities: ids, name, gender, birthday, phone: traits.phone, email: traits.email,
    province: traits.address?.state ?? traits.province, city: traits.address?.city ?? traits.city,
    registeredAt: traits.createdAt, level: traits.level, points: traits.points, married: traits.married,
    hasChildren: traits.hasChildren, attributes: Object.keys(attributes).length > 0 ? attributes : undefined,
  };
}

/** An event message as EventInput (a function of the module: no closure made per message). */
function eventOf(msg: Msg, type: string, path: string, ids: ReturnType<typeof identitiesOf>, name: unknown, properties: unknown): Mapped {
  return {
    kind: 'event', path,
    input: { eventId: msg.messageId, name, channel: channelOf(msg, type), occurredAt: timeOf(msg), identities: ids, properties: properties ?? {} },
  };
}

/** Maps message `m` at `path` (e.g. `batch[3]`); `type` comes from the message or the endpoint. */
export function mapMessage(m: unknown, path: string, endpointType?: string): Mapped {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return { kind: 'invalid', message: `${path}: must be an object` };
  const msg = m as Msg;
  const type = String(msg.type ?? endpointType ?? '').toLowerCase();
  const ids = identitiesOf(msg);
  if (ids.length === 0) return { kind: 'invalid', message: `${path}: needs userId or anonymousId` };
  const isEvent = ['track', 'page', 'screen', 'group'].includes(type);
  if (isEvent && (typeof msg.messageId !== 'string' || msg.messageId.trim() === '')) return { kind: 'invalid', message: `${path}.messageId: is required` };
  if (type === 'track') {
    try {
      text(msg.event, `${path}.event`, 100);
    } catch (err) {
      return { kind: 'invalid', message: (err as Error).message };
    }
  }
  switch (type) {
    case 'track':
      return eventOf(msg, type, path, ids, msg.event, msg.properties);
    case 'page':
      return eventOf(msg, type, path, ids, 'page_view', { ...msg.properties, ...(msg.name ? { name: msg.name } : {}), ...(msg.category ? { category: msg.category } : {}) });
    case 'screen':
      return eventOf(msg, type, path, ids, 'screen_view', { ...msg.properties, ...(msg.name ? { name: msg.name } : {}) });
    case 'group':
      return eventOf(msg, type, path, ids, 'group', { groupId: msg.groupId, traits: msg.traits ?? {} });
    case 'identify': {
      const traits = msg.traits ?? msg.context?.traits ?? {};
      if (typeof traits !== 'object' || Array.isArray(traits)) return { kind: 'invalid', message: `${path}.traits: must be an object` };
      return { kind: 'member', path: `${path}.traits`, input: memberFromTraits(traits, ids) };
    }
    case 'alias': {
      // alias(previousId → userId): the earlier anonymous id now belongs to the user.
      if (msg.previousId === undefined || msg.previousId === null || msg.previousId === '') return { kind: 'invalid', message: `${path}.previousId: is required` };
      return { kind: 'member', path, input: { identities: [...ids.filter((i) => i.kind === 'APP_USER_ID'), { kind: 'ANONYMOUS_ID', value: String(msg.previousId) }] } };
    }
    default:
      return { kind: 'invalid', message: `${path}.type: must be track, identify, page, screen, group or alias` };
  }
}
