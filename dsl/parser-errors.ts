import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { errorAt, endOfSource, type DslError } from './errors.js';
import { MAX_ERRORS } from './lexer.js';
import { didYouMean } from './suggest.js';

/** Error codes of the parser stage (syntax), including the structural checks of to-ast.ts. */
export enum ParseErrorCode {
  UNEXPECTED_TOKEN = 'UNEXPECTED_TOKEN',
  UNEXPECTED_END = 'UNEXPECTED_END',
  EXTRA_INPUT = 'EXTRA_INPUT',
  EMPTY_SOURCE = 'EMPTY_SOURCE',
  DUPLICATE_CLAUSE = 'DUPLICATE_CLAUSE',
  DUPLICATE_ENUM_VALUE = 'DUPLICATE_ENUM_VALUE',
}

// The message provider hands Chevrotain a message with the expected tokens appended after a
// separator that no message contains (control characters in token text are escaped by `shown`);
// toDslErrors splits them apart again.
const SEP = '\u0000';

function label(t: TokenType): string {
  return t === EOF ? 'end of input' : (t.LABEL ?? t.name);
}

function shown(t: IToken): string {
  if (t.tokenType === EOF) return 'the end of input';
  const image = t.image.length > 24 ? `${t.image.slice(0, 24)}…` : t.image;
  return `\`${image.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\``;
}

function unique(labels: string[]): string[] {
  return [...new Set(labels)];
}

const CLASSES = new Set(['name', 'number literal', 'string literal', 'duration', 'end of input']);

/** `a`, `b` or `c`: keywords and symbols in backticks, token classes as words. */
function human(labels: string[]): string {
  const shownLabels = unique(labels).map((l) => (CLASSES.has(l) ? l : `\`${l}\``));
  return shownLabels.length <= 1 ? (shownLabels[0] ?? '') : `${shownLabels.slice(0, -1).join(', ')} or ${shownLabels[shownLabels.length - 1]}`;
}

function encode(message: string, expected: string[]): string {
  return `${message}${SEP}${unique(expected).join(SEP)}`;
}

const EXPRESSION_RULES = new Set(['primary', 'unary', 'notExpr', 'expression']);

/** Chevrotain's error messages, in the language's words, carrying the expected tokens. */
export const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    let labels = [label(expected)];
    if (expected === T.Equals && ruleName === 'tagStatement') labels = ['label', 'category', 'description', '='];
    if (expected === T.Equals && ruleName === 'audienceStatement') labels = ['label', 'description', '='];
    if (expected === EOF) labels = ['tag', 'audience', 'end of input'];
    return encode(`expected ${human(labels)} but found ${shown(actual)}`, labels);
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    const what = ruleName === 'program' ? 'a definition (`tag` or `audience`)' : 'the end of the expression';
    return encode(`expected ${what} but found ${shown(firstRedundant)}`, ruleName === 'program' ? ['tag', 'audience'] : ['end of input']);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const expected = unique(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => label(path[0]))));
    const what = EXPRESSION_RULES.has(ruleName) || expected.includes('number literal') ? 'an expression' : ruleName === 'typeSpec' ? 'a type' : human(expected);
    return encode(`expected ${what} but found ${shown(actual[0])}`, expected);
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const expected = unique(expectedIterationPaths.map((path) => label(path[0])));
    const what = expected.includes('number literal') ? 'an expression' : human(expected);
    return encode(`expected ${what} but found ${shown(actual[0])}`, expected);
  },
};

/** Chevrotain's recognition errors as positioned errors: at most MAX_ERRORS, one per position. */
export function toDslErrors(source: string, raw: { name: string; message: string; token: IToken }[]): DslError[] {
  const out: DslError[] = [];
  const seen = new Set<number>();
  const end = endOfSource(source);
  for (const e of raw) {
    const [message, ...expected] = e.message.split(SEP);
    const t = e.token;
    const atEnd = t.tokenType === EOF || Number.isNaN(t.startOffset);
    const span = atEnd ? end : { offset: t.startOffset, length: t.image.length, line: t.startLine ?? 1, column: t.startColumn ?? 1 };
    if (seen.has(span.offset)) continue;
    seen.add(span.offset);
    const code = e.name === 'NotAllInputParsedException' ? ParseErrorCode.EXTRA_INPUT
      : atEnd ? ParseErrorCode.UNEXPECTED_END : ParseErrorCode.UNEXPECTED_TOKEN;
    const suggestion = !atEnd && t.tokenType === T.Identifier ? didYouMean(t.image, expected.filter((x) => /^[a-z]+$/.test(x) && x !== 'name')) : undefined;
    out.push(errorAt(span, code, suggestion ? `${message}; did you mean \`${suggestion}\`?` : message, { expected, suggestion }));
    if (out.length >= MAX_ERRORS) break;
  }
  return out;
}
