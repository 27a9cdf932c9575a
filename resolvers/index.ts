import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './enums.js';
import './viewer.js';
import './member.js';
import './tenant.js';
import './subscription.js';
import './members.js';
import './order.js';
import './event.js';
import './tag.js';
import './audience.js';
import './ingest.js';
import './dsl-queries.js';
import './governance.js';
import './tag-lifecycle.js';
import './audience-lifecycle.js';
import './refresh.js';

let schema: GraphQLSchema | undefined;

/** The gateway's schema; the only toSchema() call. */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}

/** The schema as committed in schema.graphql: sorted, printed. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
