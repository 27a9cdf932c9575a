import { Lexer, type IToken } from 'chevrotain';
import { allTokens, LParen, LBracket, Case, RParen, RBracket, End, Not, Minus, StringLiteral, UnterminatedString } from './tokens.js';
import { errorAt, LineIndex, type DslError } from './errors.js';

/** Error codes of the lexer stage, including the size and nesting guards that run before parsing. */
export enum LexErrorCode {
  SOURCE_TOO_LARGE = 'SOURCE_TOO_LARGE',
  NESTING_TOO_DEEP = 'NESTING_TOO_DEEP',
  UNEXPECTED_CHARACTER = 'UNEXPECTED_CHARACTER',
  UNTERMINATED_STRING = 'UNTERMINATED_STRING',
  INVALID_ESCAPE = 'INVALID_ESCAPE',
}

/** Longest accepted source text, in UTF-16 units. Definitions are a few hundred characters. */
export const MAX_SOURCE_LENGTH = 64 * 1024;
/** Deepest accepted nesting of `( [ case` and prefix `not` / `-`; bounds the parser's recursion. */
export const MAX_NESTING = 64;
/** At most this many errors are reported for one source text. */
export const MAX_ERRORS = 50;

export interface LexResult {
  tokens: IToken[];
  errors: DslError[];
}

let lexer: Lexer | undefined;

/**
 * Splits `source` into tokens. Rejects a source longer than MAX_SOURCE_LENGTH before reading it and
 * nesting deeper than MAX_NESTING before any parsing, so no input can exhaust the stack. Reports
 * unexpected characters, unterminated strings and escapes other than `\"` and `\\`.
 */
export function lex(source: string): LexResult {
  if (source.length > MAX_SOURCE_LENGTH) {
    return { tokens: [], errors: [errorAt({ offset: 0, length: 0, line: 1, column: 1 }, LexErrorCode.SOURCE_TOO_LARGE,
      `the source is ${source.length} characters long; at most ${MAX_SOURCE_LENGTH} are accepted`)] };
  }
  lexer ??= new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true });
  const result = lexer.tokenize(source);
  const errors: DslError[] = [];
  let lineIndex: LineIndex | undefined;
  const lines = () => (lineIndex ??= new LineIndex(source));
  for (const e of result.errors) {
    const shown = JSON.stringify(source.substr(e.offset, Math.min(e.length, 20)));
    errors.push(errorAt(lines().span(e.offset, e.length), LexErrorCode.UNEXPECTED_CHARACTER, `unexpected character${e.length > 1 ? 's' : ''} ${shown}`));
  }
  let tokens = result.tokens;
  if (tokens.some((t) => t.tokenType === UnterminatedString || (t.tokenType === StringLiteral && t.image.includes('\\')))) {
    tokens = [];
    for (const t of result.tokens) {
      if (t.tokenType === UnterminatedString) {
        errors.push(errorAt(lines().span(t.startOffset, 1), LexErrorCode.UNTERMINATED_STRING, 'this string has no closing `"`'));
        continue;
      }
      if (t.tokenType === StringLiteral) checkEscapes(t, lines(), errors);
      tokens.push(t);
    }
  }
  if (errors.length === 0) {
    const deep = tooDeep(tokens);
    if (deep) {
      errors.push(errorAt(lines().span(deep.startOffset, deep.image.length), LexErrorCode.NESTING_TOO_DEEP,
        `expressions nest more than ${MAX_NESTING} levels deep here`));
    }
  }
  if (errors.length > 1) errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { tokens, errors: errors.slice(0, MAX_ERRORS) };
}

function checkEscapes(t: IToken, lines: LineIndex, errors: DslError[]): void {
  const image = t.image;
  for (let i = 1; i < image.length - 1; i++) {
    if (image[i] !== '\\') continue;
    const next = image[i + 1];
    if (next !== '"' && next !== '\\') {
      errors.push(errorAt(lines.span(t.startOffset + i, 2), LexErrorCode.INVALID_ESCAPE,
        `\`\\${next}\` is not an escape; only \`\\"\` and \`\\\\\` are (write \`\\\\\` for a backslash)`));
    }
    i++;
  }
}

function tooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  let prefixRun = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === LParen || type === LBracket || type === Case) {
      depth++;
      prefixRun = 0;
    } else if (type === RParen || type === RBracket || type === End) {
      depth = Math.max(0, depth - 1);
      prefixRun = 0;
    } else if (type === Not || type === Minus) {
      prefixRun++;
    } else {
      prefixRun = 0;
    }
    if (depth + prefixRun > MAX_NESTING) return t;
  }
  return undefined;
}
