import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { errorAt, type DslError, type LineIndex } from './errors.js';
import { ParseErrorCode } from './parser.js';

/**
 * CST → AST: the only module that knows Chevrotain's concrete syntax tree. A statement that the
 * parser had to repair (an inserted token, a recovered node) is left out: its errors were reported
 * by the parser. `maybeRepaired: false` (the parser reported no error) skips looking for repairs. Also reports the structural mistakes the grammar lets through: a clause written
 * twice, an enum value listed twice, `category` on an audience.
 */
export function toStatements(program: CstNode, lineIndex: LineIndex, maybeRepaired = true): { statements: A.Statement[]; errors: DslError[] } {
  lines = lineIndex;
  try {
    return statementsOf(program, maybeRepaired);
  } finally {
    lines = undefined;
  }
}

function statementsOf(program: CstNode, maybeRepaired: boolean): { statements: A.Statement[]; errors: DslError[] } {
  const statements: A.Statement[] = [];
  const errors: DslError[] = [];
  for (const s of program.children.statement ?? []) {
    if (isToken(s) || (maybeRepaired && repaired(s))) continue;
    try {
      const inner = s.children.tagStatement ? node(s, 'tagStatement') : node(s, 'audienceStatement');
      statements.push(inner.name === 'tagStatement' ? tagStatement(inner, errors) : audienceStatement(inner, errors));
    } catch (e) {
      if (!(e instanceof Incomplete)) throw e;
    }
  }
  return { statements, errors };
}

/** The expression of a `standalone` parse, or undefined when the parser had to repair it. */
export function toExpression(standalone: CstNode, lineIndex: LineIndex, maybeRepaired = true): A.Expr | undefined {
  if (maybeRepaired && repaired(standalone)) return undefined;
  lines = lineIndex;
  try {
    return expression(node(standalone, 'expression'));
  } catch (e) {
    if (e instanceof Incomplete) return undefined;
    throw e;
  } finally {
    lines = undefined;
  }
}

// The source's line index, for the duration of one conversion only: node positions come from the
// parser as offsets (cheaper than Chevrotain's full line and column tracking).
let lines: LineIndex | undefined;

class Incomplete extends Error {}

/** Whether the parser repaired this part: a recovered node or a token it inserted. */
function repaired(n: CstNode): boolean {
  if (n.recoveredNode) return true;
  for (const list of Object.values(n.children)) {
    for (const e of list) if (isToken(e) ? e.isInsertedInRecovery === true : repaired(e)) return true;
  }
  return false;
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function nodes(n: CstNode, key: string): CstNode[] {
  const list = n.children[key] ?? [];
  return list.map((e) => {
    if (isToken(e) || e.recoveredNode) throw new Incomplete();
    return e;
  });
}

function node(n: CstNode, key: string): CstNode {
  const list = nodes(n, key);
  if (list.length !== 1) throw new Incomplete();
  return list[0];
}

function tokens(n: CstNode, key: string): IToken[] {
  const list = n.children[key] ?? [];
  return list.map((e) => {
    if (!isToken(e) || e.isInsertedInRecovery || Number.isNaN(e.startOffset)) throw new Incomplete();
    return e;
  });
}

function token(n: CstNode, key: string): IToken {
  const list = tokens(n, key);
  if (list.length !== 1) throw new Incomplete();
  return list[0];
}

function has(n: CstNode, key: string): boolean {
  return (n.children[key]?.length ?? 0) > 0;
}

function tokenSpan(t: IToken): A.Span {
  return { offset: t.startOffset, length: t.image.length, line: t.startLine ?? 1, column: t.startColumn ?? 1 };
}

function nodeSpan(n: CstNode): A.Span {
  const l = n.location;
  if (!l || !lines || Number.isNaN(l.startOffset) || l.endOffset === undefined || Number.isNaN(l.endOffset)) throw new Incomplete();
  return lines.span(l.startOffset, l.endOffset - l.startOffset + 1);
}

function join(a: A.Span, b: A.Span): A.Span {
  return { offset: a.offset, length: b.offset + b.length - a.offset, line: a.line, column: a.column };
}

function stringLiteral(t: IToken): A.StringLiteral {
  return { kind: 'StringLiteral', value: t.image.slice(1, -1).replace(/\\(["\\])/g, '$1'), span: tokenSpan(t) };
}

function name(t: IToken): A.Name {
  return { text: t.image, span: tokenSpan(t) };
}

function clauses(n: CstNode, allowed: string[], errors: DslError[]): Record<string, A.StringLiteral> {
  const found: Record<string, A.StringLiteral> = {};
  for (const c of nodes(n, 'clause')) {
    const keyword = token(c, 'keyword');
    const word = keyword.image.toLowerCase();
    if (!allowed.includes(word)) {
      errors.push(errorAt(tokenSpan(keyword), ParseErrorCode.UNEXPECTED_TOKEN, `an audience has no \`${word}\`; it may have ${allowed.join(' and ')}`));
    } else if (found[word]) {
      errors.push(errorAt(tokenSpan(keyword), ParseErrorCode.DUPLICATE_CLAUSE, `\`${word}\` is given twice`));
    } else {
      found[word] = stringLiteral(token(c, 'StringLiteral'));
    }
  }
  return found;
}

function tagStatement(n: CstNode, errors: DslError[]): A.TagStatement {
  const c = clauses(n, ['label', 'category', 'description'], errors);
  const body = expression(node(n, 'body'));
  return { kind: 'TagStatement', name: name(token(n, 'name')), valueType: typeSpec(node(n, 'typeSpec'), errors), ...c, body, span: nodeSpan(n) };
}

function audienceStatement(n: CstNode, errors: DslError[]): A.AudienceStatement {
  const c = clauses(n, ['label', 'description'], errors);
  const body = expression(node(n, 'body'));
  return { kind: 'AudienceStatement', name: name(token(n, 'name')), ...c, body, span: nodeSpan(n) };
}

function typeSpec(n: CstNode, errors: DslError[]): A.TypeSpec {
  const span = nodeSpan(n);
  if (has(n, 'simple')) return { kind: token(n, 'simple').image.toLowerCase() as 'boolean', span };
  const values = tokens(n, 'StringLiteral').map(stringLiteral);
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v.value)) errors.push(errorAt(v.span, ParseErrorCode.DUPLICATE_ENUM_VALUE, `"${v.value}" is listed twice`));
    seen.add(v.value);
  }
  return { kind: 'enum', values, span };
}

function expression(n: CstNode): A.Expr {
  return logical(n, 'or', (x) => logical(x, 'and', notExpr));
}

function logical(n: CstNode, op: 'and' | 'or', inner: (n: CstNode) => A.Expr): A.Expr {
  const operands = nodes(n, 'operands').map(inner);
  if (operands.length === 0) throw new Incomplete();
  return operands.length === 1 ? operands[0] : { kind: 'Logical', op, operands, span: nodeSpan(n) };
}

function notExpr(n: CstNode): A.Expr {
  if (has(n, 'Not')) return { kind: 'Not', operand: notExpr(node(n, 'notExpr')), span: nodeSpan(n) };
  return predicate(node(n, 'predicate'));
}

const COMPARISON: Record<string, A.ComparisonOp> = { Equals: '=', NotEq: '!=', Less: '<', LessEq: '<=', Greater: '>', GreaterEq: '>=' };

function predicate(n: CstNode): A.Expr {
  const subject = additive(node(n, 'subject'));
  const span = nodeSpan(n);
  if (has(n, 'op')) {
    const op = token(n, 'op');
    return { kind: 'Comparison', op: COMPARISON[op.tokenType.name], left: subject, right: additive(node(n, 'object')), opSpan: tokenSpan(op), span };
  }
  const negated = has(n, 'Not');
  if (has(n, 'Is')) return { kind: 'IsNull', operand: subject, negated, span };
  if (has(n, 'In')) return { kind: 'InList', operand: subject, items: nodes(node(n, 'list'), 'items').map(expression), negated, span };
  if (has(n, 'Between')) return { kind: 'Between', operand: subject, low: additive(node(n, 'low')), high: additive(node(n, 'high')), negated, span };
  if (has(n, 'Contains')) return { kind: 'StringTest', op: 'contains', operand: subject, pattern: additive(node(n, 'pattern')), span };
  if (has(n, 'Starts')) return { kind: 'StringTest', op: 'starts_with', operand: subject, pattern: additive(node(n, 'pattern')), span };
  return subject;
}

const ARITHMETIC: Record<string, A.ArithmeticOp> = { Plus: '+', Minus: '-', Star: '*', Slash: '/' };

function additive(n: CstNode): A.Expr {
  return chain(n, (x) => chain(x, unary));
}

function chain(n: CstNode, inner: (n: CstNode) => A.Expr): A.Expr {
  const operandNodes = nodes(n, 'operands');
  const ops = tokens(n, 'ops');
  if (operandNodes.length !== ops.length + 1) throw new Incomplete();
  const operands = operandNodes.map(inner);
  if (ops.length === 0) return operands[0];
  const rest = ops.map((op, i) => ({ op: ARITHMETIC[op.tokenType.name], operand: operands[i + 1], span: join(tokenSpan(op), operands[i + 1].span) }));
  return { kind: 'Arithmetic', first: operands[0], rest, span: nodeSpan(n) };
}

function unary(n: CstNode): A.Expr {
  if (has(n, 'Minus')) return { kind: 'Negate', operand: unary(node(n, 'unary')), span: nodeSpan(n) };
  return primary(node(n, 'primary'));
}

function primary(n: CstNode): A.Expr {
  const span = nodeSpan(n);
  if (has(n, 'NumberLiteral')) {
    const digits = token(n, 'NumberLiteral');
    if (has(n, 'unit')) return { kind: 'DurationLiteral', amount: digits.image, unit: unitOf(node(n, 'unit')), span };
    return { kind: 'NumberLiteral', text: digits.image, span };
  }
  if (has(n, 'ShortDuration')) return shortDuration(token(n, 'ShortDuration'));
  if (has(n, 'StringLiteral')) return stringLiteral(token(n, 'StringLiteral'));
  if (has(n, 'True')) return { kind: 'BooleanLiteral', value: true, span };
  if (has(n, 'False')) return { kind: 'BooleanLiteral', value: false, span };
  if (has(n, 'expression')) return expression(node(n, 'expression'));
  if (has(n, 'caseExpr')) return caseExpr(node(n, 'caseExpr'));
  if (has(n, 'keywordReference')) {
    const r = node(n, 'keywordReference');
    const head = token(r, 'head');
    return reference([{ text: head.image.toLowerCase(), quoted: false, span: tokenSpan(head) }, ...nodes(r, 'pathSegment').map(segment)], span);
  }
  return nameExpr(node(n, 'nameExpr'));
}

const UNITS: Record<string, A.DurationUnit> = { HourUnit: 'hours', DayUnit: 'days', WeekUnit: 'weeks', MonthUnit: 'months', YearUnit: 'years' };
const SHORT_UNITS: Record<string, A.DurationUnit> = { h: 'hours', d: 'days', w: 'weeks' };

function unitOf(n: CstNode): A.DurationUnit {
  return UNITS[token(n, 'unit').tokenType.name];
}

function shortDuration(t: IToken): A.DurationLiteral {
  return { kind: 'DurationLiteral', amount: t.image.slice(0, -1), unit: SHORT_UNITS[t.image.slice(-1).toLowerCase()], span: tokenSpan(t) };
}

function duration(n: CstNode): A.DurationLiteral {
  if (has(n, 'ShortDuration')) return shortDuration(token(n, 'ShortDuration'));
  return { kind: 'DurationLiteral', amount: token(n, 'NumberLiteral').image, unit: unitOf(node(n, 'unit')), span: nodeSpan(n) };
}

function caseExpr(n: CstNode): A.Case {
  const conditions = nodes(n, 'conditions').map(expression);
  const results = nodes(n, 'results').map(expression);
  if (conditions.length === 0 || conditions.length !== results.length) throw new Incomplete();
  const otherwise = has(n, 'otherwise') ? expression(node(n, 'otherwise')) : undefined;
  return { kind: 'Case', branches: conditions.map((when, i) => ({ when, then: results[i] })), ...(otherwise ? { otherwise } : {}), span: nodeSpan(n) };
}

function segment(n: CstNode): A.PathSegment {
  if (has(n, 'quoted')) {
    const q = stringLiteral(token(n, 'quoted'));
    return { text: q.value, quoted: true, span: q.span };
  }
  const t = token(n, 'name');
  return { text: t.image, quoted: false, span: tokenSpan(t) };
}

function reference(segments: A.PathSegment[], span: A.Span): A.Reference {
  return { kind: 'Reference', segments, span };
}

function nameExpr(n: CstNode): A.Expr {
  const head = token(n, 'head');
  const span = nodeSpan(n);
  if (has(n, 'LParen')) {
    token(n, 'RParen');
    const args = nodes(n, 'callArgument').map(callArgument);
    return { kind: 'Call', name: { text: head.image.toLowerCase(), span: tokenSpan(head) }, args, span };
  }
  return reference([{ text: head.image, quoted: false, span: tokenSpan(head) }, ...nodes(n, 'pathSegment').map(segment)], span);
}

function callArgument(n: CstNode): A.CallArgument {
  const modifiers = nodes(n, 'modifier').map((m): A.Modifier => {
    const span = nodeSpan(m);
    if (has(m, 'Where')) return { kind: 'where', condition: expression(node(m, 'condition')), span };
    if (has(m, 'Within')) return { kind: 'within', duration: duration(node(m, 'duration')), span };
    return { kind: has(m, 'Desc') ? 'desc' : 'asc', span };
  });
  return { value: expression(node(n, 'value')), modifiers, span: nodeSpan(n) };
}
