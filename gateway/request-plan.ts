import { getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { analyzeOperation, type Analysis } from './plugins/analyze.js';
import { CompiledNames, compileQuery, type CompiledQuery } from '../resolvers/compiled/compile-query.js';
import { checkAnalysis, checkNul, checkSource, type GovernanceLimits } from './plugins/limits.js';

/** What the gateway knows of a request before Apollo runs it: enough to open it in one round trip. */
export interface RequestPlan {
  operation: 'query' | 'mutation';
  /** The points the cost plugin will charge: max(1, analysed cost). */
  cost: number;
  analysis: Analysis;
  /** The operation as one SQL statement (gateway/compiled-read.ts), when the compiler takes it. */
  compiled?: CompiledVariants;
}

/** A query compiled for callers with the pii scope and for callers without it (null: not compiled). */
export interface CompiledVariants {
  clear: CompiledQuery | null;
  masked: CompiledQuery | null;
}

/** The parts of a GraphQL request the plan reads (POST body or GET search parameters). */
export interface RequestParts {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

interface CachedDocument {
  document: DocumentNode;
  /** Whether graphql-js validation passed (computed once per document text). */
  valid?: boolean;
  /** Analyses by operation name and the values of the variables they depend on. */
  analyses: Map<string, Analysis>;
  /** Compiled queries by operation name (null: left to graphql-js). */
  compiled?: Map<string, CompiledVariants | null>;
}

// Distinct analyses kept per document: a variable the cost depends on (`first: $n`) varies little.
const ANALYSES_PER_DOCUMENT = 32;

/**
 * Plans requests whose outcome before execution is certain: the text parses, names one query or
 * mutation, breaks no limit (size, aliases, selections, depth, cost, NUL) and validates. For those,
 * the cost the plugins would charge is known before Apollo starts, so a query can be authenticated
 * and charged in the round trip that opens it (gateway/request-context.ts). Everything else (errors,
 * subscriptions, persisted-query hashes, batched bodies) gets no plan and takes the general path,
 * where the plugins find and charge it as before. Documents are kept by text in a bounded cache,
 * validated once, and analysed once per operation and values of the variables the analysis reads
 * (`first: $n`, `tag(name: $t)`; a member id does not change the cost).
 */
export class RequestPlanner {
  private readonly documents = new Map<string, CachedDocument>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: GovernanceLimits,
    private readonly maxDocuments = 1000,
    /** Compile query operations to SQL where the compiler can, naming them here (null: never; CDP_COMPILED_READS=0). */
    private readonly compiledNames: CompiledNames | null = new CompiledNames(),
  ) {}

  /** The plan of a request, or null when it must take the general path. */
  plan(parts: RequestParts | undefined): RequestPlan | null {
    if (!parts || typeof parts.query !== 'string') return null;
    const variables = parts.variables ?? undefined;
    if (variables !== undefined && (variables === null || typeof variables !== 'object' || Array.isArray(variables))) return null;
    const operationName = parts.operationName ?? undefined;
    if (operationName !== undefined && typeof operationName !== 'string') return null;
    const cached = this.document(parts.query);
    if (!cached) return null;
    const op = getOperationAST(cached.document, operationName);
    if (!op || op.operation === 'subscription') return null;
    const vars = variables as Record<string, unknown> | undefined;
    const analysis = this.analysis(cached, op, operationName, vars);
    // limits before validation: validation of a bomb is what the limits protect against
    if (checkAnalysis(analysis, this.limits) || checkNul(cached.document, vars)) return null;
    cached.valid ??= validate(this.schema, cached.document).length === 0;
    if (!cached.valid) return null;
    const plan: RequestPlan = { operation: op.operation, cost: Math.max(1, analysis.cost), analysis };
    if (op.operation === 'query' && this.compiledNames) {
      cached.compiled ??= new Map();
      let compiled = cached.compiled.get(operationName ?? '');
      if (compiled === undefined) {
        const [clear, masked] = [true, false].map((pii) => {
          const result = compileQuery(this.schema, op, pii, this.compiledNames!);
          return 'notCompiled' in result ? null : result;
        });
        cached.compiled.set(operationName ?? '', (compiled = clear || masked ? { clear, masked } : null));
      }
      if (compiled) plan.compiled = compiled;
    }
    return plan;
  }

  private analysis(cached: CachedDocument, op: OperationDefinitionNode, name: string | undefined,
    variables: Record<string, unknown> | undefined): Analysis {
    const first = cached.analyses.get(name ?? '');
    const key = (a: Analysis) => `${name ?? ''}\u0000${JSON.stringify(a.variablesRead.map((v) => variables?.[v] ?? null))}`;
    if (first) {
      if (first.variablesRead.length === 0) return first;
      const hit = cached.analyses.get(key(first));
      if (hit) return hit;
    }
    const analysis = analyzeOperation(this.schema, cached.document, op, variables, this.limits);
    if (cached.analyses.size >= ANALYSES_PER_DOCUMENT) cached.analyses.clear();
    // under the bare name: which variables matter; under the name and their values: the analysis
    cached.analyses.set(name ?? '', analysis);
    if (analysis.variablesRead.length > 0) cached.analyses.set(key(analysis), analysis);
    return analysis;
  }

  private document(query: string): CachedDocument | null {
    const hit = this.documents.get(query);
    if (hit) {
      // most recently used last, so the oldest is the first key
      this.documents.delete(query);
      this.documents.set(query, hit);
      return hit;
    }
    if (checkSource(query, this.limits)) return null;
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.limits.maxTokens });
    } catch {
      return null;
    }
    if (this.documents.size >= this.maxDocuments) this.documents.delete(this.documents.keys().next().value!);
    const entry = { document, analyses: new Map() };
    this.documents.set(query, entry);
    return entry;
  }
}

/** The request parts of a GET request's search parameters (variables as JSON text). */
export function partsOfSearch(search: URLSearchParams): RequestParts | undefined {
  const query = search.get('query');
  if (query === null) return undefined;
  const rawVariables = search.get('variables');
  let variables: unknown;
  if (rawVariables !== null && rawVariables !== '') {
    try {
      variables = JSON.parse(rawVariables);
    } catch {
      return undefined;
    }
  }
  return { query, variables, operationName: search.get('operationName') ?? undefined };
}
