import type { Expr } from '../../../dsl/index.js';

/** An expression as a fully parenthesised s-expression, to assert structure and precedence. */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral': return e.text;
    case 'StringLiteral': return JSON.stringify(e.value);
    case 'BooleanLiteral': return String(e.value);
    case 'DurationLiteral': return `${e.amount}${e.unit}`;
    case 'Reference': return e.segments.map((s) => (s.quoted ? `[${JSON.stringify(s.text)}]` : s.text)).join('.').replace(/\.\[/g, '[');
    case 'Negate': return `(- ${sexpr(e.operand)})`;
    case 'Not': return `(not ${sexpr(e.operand)})`;
    case 'Logical': return `(${e.op} ${e.operands.map(sexpr).join(' ')})`;
    case 'Arithmetic': return `(${[sexpr(e.first), ...e.rest.map((r) => `${r.op} ${sexpr(r.operand)}`)].join(' ')})`;
    case 'Comparison': return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'InList': return `(${e.negated ? 'not-in' : 'in'} ${sexpr(e.operand)} [${e.items.map(sexpr).join(' ')}])`;
    case 'Between': return `(${e.negated ? 'not-between' : 'between'} ${sexpr(e.operand)} ${sexpr(e.low)} ${sexpr(e.high)})`;
    case 'IsNull': return `(${e.negated ? 'is-not-null' : 'is-null'} ${sexpr(e.operand)})`;
    case 'StringTest': return `(${e.op} ${sexpr(e.operand)} ${sexpr(e.pattern)})`;
    case 'Case': return `(case ${e.branches.map((b) => `[${sexpr(b.when)} ${sexpr(b.then)}]`).join(' ')}${e.otherwise ? ` else ${sexpr(e.otherwise)}` : ''})`;
    case 'Call': return `(${e.name.text} ${e.args.map((a) => [sexpr(a.value), ...a.modifiers.map((m) =>
      (m.kind === 'where' ? `where ${sexpr(m.condition)}` : m.kind === 'within' ? `within ${sexpr(m.duration)}` : m.kind))].join(' ')).join(', ')})`;
  }
}
