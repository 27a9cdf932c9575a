import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type ArgumentNode, type DocumentNode, type GraphQLError } from 'graphql';
import type { Context } from '../resolvers/context.js';

/**
 * graphql-js reports a bad argument value by the value alone (`Value "FOO" does not exist in
 * "Channel" enum.`, `Variable "$c" got invalid value ...`). This plugin names the argument: the
 * message gains the prefix `argument "channel": ` and the error the extension `argument`, as our
 * own BAD_USER_INPUT errors have. Errors that are not about an argument's value are left alone.
 */
export function argumentNamesPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async validationDidStart(rc) {
          return async (errors?: readonly Error[]) => {
            if (errors && rc.document) for (const e of errors as readonly GraphQLError[]) nameArgument(e, argumentsAround(rc.document, e));
          };
        },
        async didEncounterErrors(rc) {
          if (!rc.document) return;
          for (const e of rc.errors) {
            const variable = /^Variable "\$(\w+)" got invalid value/.exec(e.message)?.[1];
            if (variable) nameArgument(e, argumentsUsing(rc.document, variable));
          }
        },
      };
    },
  };
}

function nameArgument(error: GraphQLError, args: string[]): void {
  if (args.length === 0 || error.extensions?.argument) return;
  const names = [...new Set(args)];
  (error as { message: string }).message = `argument ${names.map((n) => `"${n}"`).join(', ')}: ${error.message}`;
  (error as { extensions: Record<string, unknown> }).extensions = { ...error.extensions, argument: names[0] };
}

/** The innermost argument whose value holds the error's node. */
function argumentsAround(document: DocumentNode, error: GraphQLError): string[] {
  const at = error.nodes?.[0]?.loc;
  if (!at || error.nodes?.[0]?.kind === Kind.ARGUMENT) return [];
  let best: ArgumentNode | undefined;
  visit(document, {
    Argument(arg) {
      const loc = arg.value.loc;
      if (loc && loc.start <= at.start && at.end <= loc.end && (!best || loc.end - loc.start < best.value.loc!.end - best.value.loc!.start)) {
        best = arg;
      }
    },
  });
  return best ? [best.name.value] : [];
}

/** The arguments whose value is, or contains, `$variable`. */
function argumentsUsing(document: DocumentNode, variable: string): string[] {
  const names: string[] = [];
  visit(document, {
    Argument(arg) {
      visit(arg.value, {
        Variable(v) {
          if (v.name.value === variable) names.push(arg.name.value);
        },
      });
    },
  });
  return names;
}
