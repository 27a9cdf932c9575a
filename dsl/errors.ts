import type { Span } from './ast.js';

/**
 * A positioned error: plain data, shaped like the GraphQL `DslError` type. `line` and `column` are
 * 1-based (columns count UTF-16 units), `length` is the number of source characters it covers
 * (0 at the end of input). `expected` lists what the parser could have accepted; `suggestion` is
 * the closest known name for a misspelt one.
 */
export interface DslError {
  code: string;
  message: string;
  line: number;
  column: number;
  length: number;
  expected?: string[];
  suggestion?: string;
}

/** Builds an error at `span`. */
export function errorAt(span: Span, code: string, message: string, extra: { expected?: string[]; suggestion?: string } = {}): DslError {
  const error: DslError = { code, message, line: span.line, column: span.column, length: span.length };
  if (extra.expected && extra.expected.length > 0) error.expected = extra.expected;
  if (extra.suggestion !== undefined) error.suggestion = extra.suggestion;
  return error;
}

/** The position just after the last character of `source`. */
export function endOfSource(source: string): Span {
  const lines = source.split(/\r\n|\r|\n/);
  return { offset: source.length, length: 0, line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * Prints an error the way a compiler does: the code and message, the position, the source line and
 * a caret under the offending text.
 *
 * ```
 * UNKNOWN_FIELD: unknown field `gendr`; did you mean `gender`?
 *  --> line 1, column 1
 *   |
 * 1 | gendr = "M"
 *   | ^^^^^
 * ```
 */
export function formatDslError(source: string, error: DslError): string {
  const lines = source.split(/\r\n|\r|\n/);
  const lineIndex = Math.min(Math.max(error.line, 1), lines.length) - 1;
  const text = (lines[lineIndex] ?? '').replace(/\t/g, ' ');
  const number = String(lineIndex + 1);
  const pad = ' '.repeat(number.length);
  const column = Math.max(1, Math.min(error.column, text.length + 1));
  const width = Math.max(1, Math.min(error.length, text.length + 1 - column + 1));
  const out = [`${error.code}: ${error.message}`, `${pad}--> line ${error.line}, column ${error.column}`, `${pad} |`,
    `${number} | ${text}`, `${pad} | ${' '.repeat(column - 1)}${'^'.repeat(width)}`];
  if (error.expected && error.expected.length > 0) out.push(`${pad} = expected ${error.expected.join(', ')}`);
  return out.join('\n');
}

/** Line and column look-up for offsets of one source text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(source: string) {
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** The span of `length` characters starting at `offset`. */
  span(offset: number, length: number): Span {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, length, line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}
