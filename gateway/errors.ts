import { GraphQLError } from 'graphql';

/** Every error code a client can see (graphql-contract.md). */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  DSL_ERROR = 'DSL_ERROR',
  NOT_FOUND = 'NOT_FOUND',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  RATE_LIMITED = 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.RATE_LIMITED]: 429,
};

/**
 * An error whose message is meant for the client. Only these (and graphql-js's own validation
 * errors) reach a response; anything else becomes INTERNAL_SERVER_ERROR with an id.
 */
export function safeError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

export const badInput = (message: string, argument?: string) =>
  safeError(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});
export const forbidden = (scope: string) =>
  safeError(ErrorCode.FORBIDDEN, `missing scope ${scope}`, { scope });
export const notFound = (what: string) => safeError(ErrorCode.NOT_FOUND, `${what} not found`);
