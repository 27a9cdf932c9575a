import {
  astFromValue, getNamedType, getNullableType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType,
  isObjectType, isScalarType, print, type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLNamedType,
  type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';

/**
 * Generic calls of every root field of a schema, built from the schema itself (introspected at test
 * time), so fields other engineers add are exercised without this file knowing them. Arguments
 * point at the other tenant's ids and at names every tenant has; selections take every field to a
 * small depth, with __typename on each object so a response can be checked type by type.
 */

/** Values the calls use: ids of a foreign tenant, names and identities all tenants share. */
export interface ProbeValues {
  foreign: { member: string; order: string; token: string; job: string };
  phone: string;
  tag: string;
  audience: string;
  /** When set, every String and ID argument and input field gets this text instead (hostile input). */
  text?: string;
}

/** One generic call of a root field. */
export interface Call {
  root: 'query' | 'mutation' | 'subscription';
  field: string;
  document: string;
}

const MAX_DEPTH = 3;

function idFor(field: string, arg: string, v: ProbeValues): string {
  const about = `${field} ${arg}`.toLowerCase();
  if (about.includes('order')) return v.foreign.order;
  if (about.includes('token')) return v.foreign.token;
  if (about.includes('job') || about.includes('refresh')) return v.foreign.job;
  return v.foreign.member;
}

function dsl(field: string, v: ProbeValues): string {
  const cond = `phone = "${v.phone}"`;
  if (/audience/i.test(field)) return `audience iso_probe_audience = ${cond}`;
  if (/tag|dsl/i.test(field)) return `tag iso_probe_tag: boolean = ${cond}`;
  return cond;
}

function stringFor(field: string, arg: string, v: ProbeValues): string | undefined {
  switch (arg) {
    case 'audience': return v.audience;
    case 'tag': return v.tag;
    case 'target': case 'node': return `tag:${v.tag}`;
    case 'consumer': return 'iso-probe';
    case 'value': return v.phone;
    case 'category': return '消费属性';
    case 'status': return 'published';
    case 'action': return 'issueToken';
    case 'where': case 'expression': return dsl('', v);
    case 'source': return dsl(field, v);
    case 'channelOrderId': return 'O-1';
    case 'eventId': return 'e-1';
    case 'phone': return v.phone;
    case 'name':
      if (/tenant/i.test(field)) return 'iso-probe-tenant';
      if (/event|track/i.test(field)) return 'login';
      return /audience/i.test(field) ? v.audience : v.tag;
    default: return undefined;
  }
}

/** A value for an argument or input field; undefined leaves an optional one out. */
export function valueFor(field: string, name: string, type: GraphQLInputType, required: boolean, v: ProbeValues, depth = 0): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) {
    const item = valueFor(field, name, inner.ofType, true, v, depth + 1);
    if (item === undefined) return required ? [] : undefined;
    if (name === 'scopes') return ['members:read'];
    if (name === 'dimensions') return ['gender'];
    return [item];
  }
  if (isInputObjectType(inner)) {
    if (!required && name !== 'identities' && name !== 'items') return undefined;
    if (depth > 3) return undefined;
    const out: Record<string, unknown> = {};
    for (const f of Object.values(inner.getFields())) {
      const val = valueFor(field, f.name, f.type, isNonNullType(f.type), v, depth + 1);
      if (val !== undefined) out[f.name] = val;
    }
    return out;
  }
  if (isEnumType(inner)) {
    const names = inner.getValues().map((e) => e.value);
    const preferred = ['PHONE', 'TMALL', 'F', 'PAID', 'ENTERED'].find((p) => names.includes(p));
    return required || ['kind', 'channel'].includes(name) ? preferred ?? names[0] : undefined;
  }
  const scalar = (inner as GraphQLNamedType).name;
  if (v.text !== undefined && (scalar === 'String' || scalar === 'ID')) return v.text;
  if (scalar === 'ID') return required || /id$/i.test(name) ? idFor(field, name, v) : undefined;
  if (scalar === 'String') return stringFor(field, name, v) ?? (required ? v.tag : undefined);
  if (scalar === 'Int') {
    const ints: Record<string, number> = { first: 3, sample: 3, days: 30, ratePerMinute: 100, quantity: 1 };
    return ints[name] ?? (required ? 1 : undefined);
  }
  if (scalar === 'Float') return required || ['amount', 'price'].includes(name) ? 1 : undefined;
  if (scalar === 'Boolean') return required ? true : undefined;
  if (scalar === 'DateTime') return required || /At$/.test(name) ? new Date().toISOString() : undefined;
  if (scalar === 'JSON') return required ? {} : undefined;
  return undefined;
}

/** A GraphQL literal of `value` for `type` (a JSON value becomes an object or list literal). */
function literal(value: unknown, type: GraphQLInputType): string {
  const inner = getNullableType(type) as GraphQLInputType;
  if (value === null) return 'null';
  if (isListType(inner)) return `[${(value as unknown[]).map((x) => literal(x, inner.ofType)).join(', ')}]`;
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>).map(([k, x]) => `${k}: ${literal(x, fields[k].type)}`).join(', ')} }`;
  }
  if ((inner as GraphQLNamedType).name === 'JSON') return json(value);
  const ast = astFromValue(value, inner);
  return ast ? print(ast) : 'null';
}

function json(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(json).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, x]) => `${k}: ${json(x)}`).join(', ')} }`;
  return JSON.stringify(value);
}

function argsText(field: string, args: readonly GraphQLArgument[], v: ProbeValues): string {
  const parts: string[] = [];
  for (const a of args) {
    const value = valueFor(field, a.name, a.type, isNonNullType(a.type), v);
    if (value !== undefined) parts.push(`${a.name}: ${literal(value, a.type)}`);
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

/** Every field of `type` to MAX_DEPTH, with __typename on each object. */
export function selectionFor(type: GraphQLObjectType, v: ProbeValues, depth = 1): string {
  const parts = ['__typename'];
  for (const f of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
    const named = getNamedType(f.type);
    const args = argsText(f.name, f.args, v);
    if (isLeafType(named) || isScalarType(named)) parts.push(`${f.name}${args}`);
    else if (isObjectType(named) && depth < MAX_DEPTH) parts.push(`${f.name}${args} { ${selectionFor(named, v, depth + 1)} }`);
  }
  return parts.join(' ');
}

/** One call per root field of the schema. */
export function callsFor(schema: GraphQLSchema, v: ProbeValues): Call[] {
  const calls: Call[] = [];
  for (const [root, type] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()]] as const) {
    if (!type) continue;
    for (const f of Object.values(type.getFields())) {
      const args = argsText(f.name, f.args, v);
      const named = getNamedType(f.type);
      const selection = isObjectType(named) ? ` { ${selectionFor(named, v)} }` : '';
      calls.push({ root, field: f.name, document: `${root} { ${f.name}${args}${selection} }` });
    }
  }
  return calls;
}

/** Where a response shows something of a foreign tenant: a marker string, or a foreign id on an object of that type. */
export function leaksIn(value: unknown, markers: string[], foreignIds: Map<string, Set<string>>, path = '$'): string[] {
  if (typeof value === 'string') return markers.filter((m) => value.includes(m)).map((m) => `${path} contains ${m}`);
  if (Array.isArray(value)) return value.flatMap((item, i) => leaksIn(item, markers, foreignIds, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  const out: string[] = [];
  const type = typeof obj.__typename === 'string' ? obj.__typename : undefined;
  for (const [k, v] of Object.entries(obj)) {
    const kind = k === 'id' ? type : /^(\w+)Id$/.exec(k)?.[1].replace(/^./, (c) => c.toUpperCase());
    if (kind && (typeof v === 'string' || typeof v === 'number') && foreignIds.get(kind)?.has(String(v))) {
      out.push(`${path}.${k} = foreign ${kind} ${v}`);
    }
    out.push(...leaksIn(v, markers, foreignIds, `${path}.${k}`));
  }
  return out;
}
