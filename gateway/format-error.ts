import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

const CLIENT_CODES = new Set<string>(Object.values(ErrorCode));
// graphql-js / Apollo's own request errors are the client's fault: reported as BAD_USER_INPUT.
const REQUEST_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/**
 * Apollo's formatError: errors we raised on purpose (a contract code) and request errors pass with
 * their message; anything else becomes INTERNAL_SERVER_ERROR with an id that is also in the log
 * line, and outside development no stack, SQL or Postgres message.
 */
export function errorFormatter(log: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
    const { stacktrace, http, ...ext } = (formatted.extensions ?? {}) as Record<string, unknown>;
    if (CLIENT_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR && !isUnexpected(error)) {
      return { ...formatted, extensions: ext }; // a client error needs no stack, even in development
    }
    if (REQUEST_CODES.has(code)) {
      return { ...formatted, extensions: { ...ext, code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    const errorId = randomUUID();
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    log.error({ errorId, err: original, path: formatted.path }, 'internal error');
    return {
      message: development ? `Internal error ${errorId}: ${(original as Error)?.message}` : `Internal error ${errorId}`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, errorId, ...(development ? { stacktrace } : {}) },
    };
  };
}

// A resolver that throws a plain Error gets code INTERNAL_SERVER_ERROR from Apollo; a GraphQLError we
// built carries its own code. Postgres errors (with .code like '42P01') are never safe.
function isUnexpected(error: unknown): boolean {
  const original = (error as { originalError?: unknown })?.originalError;
  return Boolean(original && typeof original === 'object' && 'severity' in original);
}
