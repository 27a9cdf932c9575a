import { isObjectType, getNamedType, type FieldNode, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { Compilation, argumentsOf, once, Uncompilable, type Bind } from './compilation.js';
import { hasAstral, keyOf, maskEmail, maskName, maskPhone, objectJson, plainFields, type TypeTable } from './object-json.js';
import { MEMBER_AGE, MEMBER_DAYS_UNTIL_BIRTHDAY, ORDER_CURSOR, cursorTime, isoTime, visibleTagValues } from '../rows.js';
import { decodeCursor, pageSize } from '../connection.js';

/**
 * Member and what hangs off it, as SQL that builds the JSON graphql-js would answer: the same
 * values, formats and order as the resolvers in member.ts, order.ts and tag.ts (test/gateway/
 * compiled-reads.test.ts compares the two on generated selections).
 */

const objectType = (def: GraphQLField<unknown, unknown>): GraphQLObjectType => {
  const type = getNamedType(def.type);
  if (!isObjectType(type)) throw new Uncompilable(`${def.name} is not an object`);
  return type;
};

const IDENTITY: TypeTable = {
  name: 'Identity',
  columns: {
    kind: (a) => `${a}.kind`,
    value: (a) => `${a}.value`,
    channel: (a) => `upper(${a}.channel)`,
    createdAt: (a) => isoTime(`${a}.created_at`),
  },
  // masked for PHONE and EMAIL; when one holds an astral character, Member.identities falls back
  pii: { value: { masked: (a) => `case ${a}.kind when 'PHONE' then ${maskPhone(`${a}.value`)} when 'EMAIL' then ${maskEmail(`${a}.value`)} else ${a}.value end` } },
};

const ITEM: TypeTable = {
  name: 'OrderItem',
  columns: {
    lineNo: (a) => `${a}.line_no`,
    sku: (a) => `${a}.sku`,
    productName: (a) => `${a}.product_name`,
    category: (a) => `${a}.category`,
    quantity: (a) => `${a}.quantity`,
    price: (a) => `${a}.price::float8`,
  },
};

const ORDER: TypeTable = {
  name: 'Order',
  columns: {
    id: (a) => `${a}.order_id::text`,
    channel: (a) => `upper(${a}.channel)`,
    channelOrderId: (a) => `${a}.channel_order_id`,
    memberId: (a) => `${a}.member_id::text`,
    status: (a) => `upper(${a}.status)`,
    amount: (a) => `${a}.amount::float8`,
    discount: (a) => `${a}.discount::float8`,
    createdAt: (a) => isoTime(`${a}.created_at`),
    paidAt: (a) => isoTime(`${a}.paid_at`),
    storeId: (a) => `${a}.store_id`,
  },
  nested: {
    items: (c, node, def, o) => `coalesce((select json_agg(${objectJson(c, ITEM, objectType(def), node.selectionSet, 'i')} order by i.line_no)
      from order_items i where i.tenant_id = ${o}.tenant_id and i.order_id = ${o}.order_id), '[]')`,
  },
};

const TAG_VALUE: TypeTable = {
  name: 'TagValue',
  columns: { name: (a) => `${a}.tag_name`, value: (a) => `${a}.value` },
};

// The cursor order.ts hands out: base64url (no padding) of JSON.stringify([ORDER_CURSOR, created_at, id]).
const orderCursor = (o: string) =>
  `rtrim(translate(encode(convert_to('["${ORDER_CURSOR}","' || ${cursorTime(`${o}.created_at`)} || '","' || ${o}.order_id::text || '"]', 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;

/**
 * Member.orders(first, after) as a connection: the page read with one row more than asked for (that
 * row only says there is a next page), newest first, keyset after the cursor.
 */
function ordersConnection(c: Compilation, node: FieldNode, def: GraphQLField<unknown, unknown>, m: string): string {
  c.require('orders:read');
  const limit = c.param((b) => {
    const n = pageSize(argumentsOf(b, def, node).first as number | null | undefined);
    if (n === 0) throw new Uncompilable('first: 0 is answered without a query'); // the resolver reads nothing
    return n;
  }, 'int');
  const cursorKey = {};
  const after = (b: Bind) => once(b, cursorKey, () => decodeCursor(argumentsOf(b, def, node).after as string | null | undefined, ORDER_CURSOR, ['timestamp', 'id']));
  const afterTime = c.param((b) => after(b)?.[0] ?? null, 'timestamptz');
  const afterId = c.param((b) => after(b)?.[1] ?? null, 'bigint');
  const connection = objectType(def);
  const orderType = objectType(connection.getFields().nodes);
  const fields = plainFields(node.selectionSet);
  // edges and pageInfo need the extra row (is there a next page?) and each row's place in the page
  const paged = fields.some((f) => f.name.value === 'edges' || f.name.value === 'pageInfo');
  const inPage = paged ? `filter (where o.rn <= ${limit})` : '';
  const order = paged ? 'o.rn' : 'o.created_at desc, o.order_id desc';
  const pairs: string[] = [];
  for (const f of fields) {
    let value: string;
    switch (f.name.value) {
      case '__typename':
        value = `'${connection.name}'`;
        break;
      case 'nodes':
        value = `coalesce(json_agg(${objectJson(c, ORDER, orderType, f.selectionSet, 'o')} order by ${order}) ${inPage}, '[]')`;
        break;
      case 'edges': {
        const edgeType = objectType(connection.getFields().edges);
        const edge = plainFields(f.selectionSet).map((e) => {
          if (e.name.value === 'cursor') return `${keyOf(c, e)}, ${orderCursor('o')}`;
          if (e.name.value === 'node') return `${keyOf(c, e)}, ${objectJson(c, ORDER, orderType, e.selectionSet, 'o')}`;
          if (e.name.value === '__typename') return `${keyOf(c, e)}, '${edgeType.name}'`;
          throw new Uncompilable(`${edgeType.name}.${e.name.value} is left to graphql-js`);
        });
        value = `coalesce(json_agg(json_build_object(${edge.join(', ')}) order by o.rn) ${inPage}, '[]')`;
        break;
      }
      case 'pageInfo': {
        const info = plainFields(f.selectionSet).map((p) => {
          if (p.name.value === 'hasNextPage') return `${keyOf(c, p)}, count(*) > ${limit}`;
          if (p.name.value === 'endCursor') return `${keyOf(c, p)}, (array_agg(${orderCursor('o')} order by o.rn desc) ${inPage})[1]`;
          if (p.name.value === '__typename') return `${keyOf(c, p)}, 'PageInfo'`;
          throw new Uncompilable(`PageInfo.${p.name.value} is left to graphql-js`);
        });
        value = `json_build_object(${info.join(', ')})`;
        break;
      }
      case 'totalCount':
        value = `(select count(*)::int from orders n where n.tenant_id = ${m}.tenant_id and n.member_id = ${m}.member_id)`;
        break;
      default:
        throw new Uncompilable(`${connection.name}.${f.name.value} is left to graphql-js`);
    }
    pairs.push(`${keyOf(c, f)}, ${value}`);
  }
  const page = `select * from orders o where o.tenant_id = ${m}.tenant_id and o.member_id = ${m}.member_id
                    and (${afterTime} is null or (o.created_at, o.order_id) < (${afterTime}, ${afterId}))
                  order by o.created_at desc, o.order_id desc limit ${limit}`;
  return `(select json_build_object(${pairs.join(', ')})
    from ${paged ? `(select o.*, row_number() over (order by o.created_at desc, o.order_id desc) as rn from (${page} + 1) o) o` : `(${page}) o`})`;
}

/** Member: the columns of rows.ts's MEMBER_COLUMNS as JSON values, and its identities, orders and tags. */
export const MEMBER: TypeTable = {
  name: 'Member',
  columns: {
    id: (a) => `${a}.member_id::text`,
    name: (a) => `${a}.name`,
    gender: (a) => `${a}.gender`,
    birthday: (a) => `to_char(${a}.birthday, 'YYYY-MM-DD')`,
    phone: (a) => `${a}.phone`,
    email: (a) => `${a}.email`,
    province: (a) => `${a}.province`,
    city: (a) => `${a}.city`,
    registeredAt: (a) => isoTime(`${a}.registered_at`),
    registeredChannel: (a) => `upper(${a}.registered_channel)`,
    level: (a) => `${a}.level`,
    points: (a) => `${a}.points`,
    married: (a) => `${a}.married`,
    hasChildren: (a) => `${a}.has_children`,
    attributes: (a) => `${a}.attributes`,
    // written for the alias `m`, the only one the compiler gives members
    age: () => MEMBER_AGE,
    daysUntilBirthday: () => MEMBER_DAYS_UNTIL_BIRTHDAY,
    hasIdCard: (a) => `${a}.id_card_sha256 is not null`,
  },
  pii: {
    name: { masked: (a) => maskName(`${a}.name`) },
    birthday: { masked: () => 'null::text' },
    phone: { masked: (a) => maskPhone(`${a}.phone`), inexact: (a) => hasAstral(`${a}.phone`) },
    email: { masked: (a) => maskEmail(`${a}.email`), inexact: (a) => hasAstral(`${a}.email`) },
  },
  nested: {
    identities: (c, node, def, m) => {
      const json = objectJson(c, IDENTITY, objectType(def), node.selectionSet, 'idn');
      if (!c.pii && plainFields(node.selectionSet).some((f) => f.name.value === 'value')) {
        c.inexact.push(`exists (select 1 from identities x where x.tenant_id = ${m}.tenant_id and x.member_id = ${m}.member_id
          and x.kind in ('PHONE', 'EMAIL') and ${hasAstral('x.value')})`);
      }
      return `coalesce((select json_agg(${json} order by idn.kind, idn.value)
        from identities idn where idn.tenant_id = ${m}.tenant_id and idn.member_id = ${m}.member_id), '[]')`;
    },
    orders: ordersConnection,
    tags: (c, node, def, m) => {
      c.require('tags:read');
      // a lateral of the member's row (all its visible tags: the caller holds tags:read unnarrowed); its
      // names are also the lineage the resolver notes (resolvers/tag.ts)
      const t = c.lateral(`select json_agg(${objectJson(c, TAG_VALUE, objectType(def), node.selectionSet, 'tv')} order by tv.tag_name) as j,
        array_agg('tag:' || tv.tag_name) as reads from ${visibleTagValues(`${m}.tenant_id`, `tv.member_id = ${m}.member_id`)}`);
      return `coalesce(${t}.j, '[]')`;
    },
  },
};
