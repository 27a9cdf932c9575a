import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { GraphQLError, execute, getVariableValues, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Context } from '../resolvers/context.js';

type GatewayInterface = NonNullable<ApolloServerOptionsWithGateway<Context>['gateway']>;

/** What Apollo hands its executor (GatewayGraphQLRequestContext), as far as this one reads it. */
interface ExecutorRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | null;
  context: Context;
  request: { variables?: Record<string, unknown> };
}

/**
 * Apollo Server's execution step, compiled for mutations: each validated mutation document (Apollo's
 * document store keeps one DocumentNode per query text) is compiled once by graphql-jit into a
 * function that coerces its variables and resolves its fields, and that function runs every request
 * of the document. graphql-js interprets the document against the schema on every request instead:
 * coercing importOrders' 5,000 input objects took a third of an import's Node CPU. Queries stay on
 * graphql-js, the cheaper of the two for them: the member page of bench/graphql cost 2.8M
 * instructions per request on graphql-js behind this executor and 3.0M compiled
 * (bench/graphql/instructions.ts). The executor itself costs reads about 0.25M instructions per
 * request over Apollo's own (2.55-2.6M without it): the price of compiled imports, paid until
 * Apollo has an executor option. Resolvers, plugins, error formatting and the document cache stay
 * Apollo's and ours; graphql-ws subscriptions keep graphql-js.
 *
 * Plugged in through Apollo's gateway interface, the one hook Apollo has for its executor: `load`
 * hands Apollo the schema (as a federation gateway would) and this executor.
 */
export function compiledExecution(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();
  const compile = (document: DocumentNode, operationName: string | null) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let query = byName.get(operationName ?? '');
    if (!query) byName.set(operationName ?? '', (query = compileQuery(schema, document, operationName ?? undefined)));
    return query;
  };
  const executor = async ({ document, operation, operationName, context, request }: ExecutorRequest): Promise<ExecutionResult> => {
    if (operation.operation !== 'mutation') {
      return execute({ schema, document, operationName, contextValue: context, variableValues: request.variables });
    }
    const query = compile(document, operationName);
    if (!isCompiledQuery(query)) return query;
    const variables = request.variables ?? {};
    const result = await query.query(undefined, context, variables);
    if (!result.errors) return result;
    if (!('data' in result)) return { errors: variableErrors(schema, operation, variables, result.errors) };
    return { ...result, errors: result.errors.map(asGraphQLError) };
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return { executor: executor as never };
    },
    async stop() {},
  };
}

/**
 * The variables were refused. graphql-jit names the input field as if it were a variable and
 * drops the position (`Variable "$amount" got invalid value "abc"`); graphql-js says which
 * row and field (`Variable "$o" got invalid value "abc" at "o[3].amount"; Float cannot ...`), and
 * its errors carry the variable definition, by which Apollo answers BAD_USER_INPUT with status 400.
 * Coercing once more with graphql-js, only on this path, gives its errors.
 */
function variableErrors(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>,
  jitErrors: readonly GraphQLError[]): readonly GraphQLError[] {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
  return coerced.errors ?? jitErrors.map(asGraphQLError);
}

/**
 * graphql-jit's errors are frozen look-alikes without extensions; Apollo and our plugins read a
 * GraphQLError's extensions and name the argument in its message. This is the error graphql-js
 * would have built: the resolver's error as originalError, its extensions, path and locations.
 */
function asGraphQLError(e: GraphQLError): GraphQLError {
  const original = e.originalError ?? undefined;
  const error = new GraphQLError(e.message, { path: e.path, originalError: original });
  if (e.locations) (error as { locations?: unknown }).locations = e.locations;
  return error;
}
