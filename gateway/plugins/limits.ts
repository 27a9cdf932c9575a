import { GraphQLError, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { ErrorCode } from '../errors.js';
import type { Analysis, CostModel } from './analyze.js';

/** Limits on one request, checked before execution (docs/governance.md). */
export interface GovernanceLimits extends CostModel {
  /** Most cost points one operation may cost. */
  maxCost: number;
  /** Deepest field nesting. */
  maxDepth: number;
  /** Most aliased fields in a document. */
  maxAliases: number;
  /** Most field selections written in a document. */
  maxSelections: number;
  /** Most lexical tokens (graphql-js `parse(source, { maxTokens })`). */
  maxTokens: number;
  /** Longest query text in bytes (UTF-8). */
  maxDocumentBytes: number;
  /** Cost points per minute of the platform root token (it has no rate plan of its own). */
  rootRatePerMinute: number;
}

export const DEFAULT_LIMITS: GovernanceLimits = {
  maxCost: 5000,
  maxDepth: 12,
  maxAliases: 30,
  maxSelections: 500,
  maxTokens: 3000,
  maxDocumentBytes: 32 * 1024,
  rootRatePerMinute: 600,
  defaultFirst: 20,
  defaultListSize: 5,
  mutationCost: 10,
  subscriptionCost: 10,
};

const ENV: Record<string, keyof GovernanceLimits> = {
  CDP_MAX_COST: 'maxCost', CDP_MAX_DEPTH: 'maxDepth', CDP_MAX_ALIASES: 'maxAliases', CDP_MAX_SELECTIONS: 'maxSelections',
  CDP_MAX_TOKENS: 'maxTokens', CDP_MAX_DOCUMENT_BYTES: 'maxDocumentBytes', CDP_ROOT_RATE_PER_MINUTE: 'rootRatePerMinute',
};

/** DEFAULT_LIMITS with CDP_MAX_COST, CDP_MAX_DEPTH, ... from the environment; throws naming a bad variable. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): GovernanceLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [name, key] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    limits[key] = n;
  }
  return limits;
}

/** QUERY_TOO_COMPLEX (HTTP 400) with the measured numbers and their limits in extensions. */
export function tooComplex(message: string, numbers: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...numbers, http: { status: 400 } } });
}

/** The first limit the query text breaks, before parsing. */
export function checkSource(source: string, limits: GovernanceLimits): GraphQLError | null {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > limits.maxDocumentBytes) {
    return tooComplex(`query text is ${bytes} bytes; the limit is ${limits.maxDocumentBytes}`, { size: bytes, maxSize: limits.maxDocumentBytes });
  }
  return null;
}

/** The first limit an analysed operation breaks, or null. Aliases and selections first: they are what a bomb inflates. */
export function checkAnalysis(a: Analysis, limits: GovernanceLimits): GraphQLError | null {
  const numbers = { cost: a.cost, limit: limits.maxCost, depth: a.depth, maxDepth: limits.maxDepth, aliases: a.aliases,
    maxAliases: limits.maxAliases, selections: a.selections, maxSelections: limits.maxSelections };
  if (a.aliases > limits.maxAliases) return tooComplex(`query uses ${a.aliases} aliases; the limit is ${limits.maxAliases}`, numbers);
  if (a.selections > limits.maxSelections) return tooComplex(`query selects ${a.selections} fields; the limit is ${limits.maxSelections}`, numbers);
  if (a.depth > limits.maxDepth) return tooComplex(`query depth ${a.depth} exceeds the limit of ${limits.maxDepth}`, numbers);
  if (a.cost > limits.maxCost) return tooComplex(`query cost ${a.cost} exceeds the limit of ${limits.maxCost}`, numbers);
  return null;
}

/**
 * BAD_USER_INPUT (400) when a string argument or variable holds a NUL character: Postgres text and
 * jsonb cannot store one, so it could only ever end as a database error.
 */
export function checkNul(document: DocumentNode, variables: Record<string, unknown> | undefined): GraphQLError | null {
  return containsNul(variables) || documentHasNul(document)
    ? new GraphQLError('text arguments may not contain the NUL character (\\u0000)', { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } })
    : null;
}

// Documents come from Apollo's and the planner's caches: the same object for the same text, scanned once.
const nulInDocument = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let found = nulInDocument.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) found = true;
      },
    });
    nulInDocument.set(document, found);
  }
  return found;
}

// Values parsed from JSON text that holds no `\u0000`: JSON writes a NUL no other way (a raw control
// character is invalid JSON), so none of their strings or keys has one and containsNul need not walk
// them, which for an import's variables is thousands of objects per request.
const parsedWithoutNul = new WeakSet<object>();

/** Parses a JSON request body, remembering (for checkNul) that its variables cannot hold a NUL when the text has no `\u0000`. Throws like JSON.parse. */
export function parseJsonBody(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const variables = (value as { variables?: unknown } | null)?.variables;
  if (variables && typeof variables === 'object' && !text.includes('\\u0000')) parsedWithoutNul.add(variables);
  return value;
}

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth === 0 && value && typeof value === 'object' && parsedWithoutNul.has(value)) return false;
  if (depth > 50 || value === null || typeof value !== 'object') return false;
  // for...in without Object.entries: an import's variables hold thousands of objects
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\u0000') || containsNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/** RATE_LIMITED: HTTP 429 with Retry-After (seconds). */
export function rateLimited(cost: number, remaining: number, retryAfter: number, resetAt: Date): GraphQLError {
  return new GraphQLError(`rate limit: this query costs ${cost} points and ${remaining} are left; retry in ${retryAfter} s`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED, cost, remaining, retryAfter, resetAt: resetAt.toISOString(),
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
    },
  });
}

const TOKENS_RE = /^Syntax Error: Document contains more th(?:an|at) (\d+) tokens/; // graphql 16 writes "more that"
const INTROSPECTION_RE = /^Maximum introspection depth exceeded/;

/**
 * graphql-js enforces two limits itself (parse maxTokens, MaxIntrospectionDepthRule) and reports
 * them as syntax and validation errors; clients get them as QUERY_TOO_COMPLEX with the numbers.
 */
export function rewriteLimitErrors(errors: readonly GraphQLFormattedError[], limits: GovernanceLimits): GraphQLFormattedError[] | null {
  let changed = false;
  const out = errors.map((e) => {
    const tokens = TOKENS_RE.exec(e.message);
    if (tokens) {
      changed = true;
      return { message: `query has more than ${tokens[1]} tokens; the limit is ${limits.maxTokens}`,
        extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, tokens: `>${tokens[1]}`, maxTokens: limits.maxTokens } };
    }
    if (INTROSPECTION_RE.test(e.message)) {
      changed = true;
      return { ...e, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, reason: 'introspection nesting deeper than graphql-js allows' } };
    }
    return e;
  });
  return changed ? out : null;
}
