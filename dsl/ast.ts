/**
 * The abstract syntax tree: one union of plain objects, `kind` naming the interface. Every node
 * carries the span of source text it came from. Chains of `and`, `or`, `+ -` and `* /` are n-ary
 * so that a long chain is a wide node, never a deep one.
 */

/** A stretch of source text: 0-based `offset` and `length` in UTF-16 units, 1-based `line` and `column`. */
export interface Span {
  offset: number;
  length: number;
  line: number;
  column: number;
}

/** A name as written, with its position. */
export interface Name {
  text: string;
  span: Span;
}

export type TypeSpec =
  | { kind: 'boolean' | 'number' | 'string' | 'date' | 'timestamp'; span: Span }
  | { kind: 'enum'; values: StringLiteral[]; span: Span };

export interface TagStatement {
  kind: 'TagStatement';
  name: Name;
  valueType: TypeSpec;
  label?: StringLiteral;
  category?: StringLiteral;
  description?: StringLiteral;
  body: Expr;
  span: Span;
}

export interface AudienceStatement {
  kind: 'AudienceStatement';
  name: Name;
  label?: StringLiteral;
  description?: StringLiteral;
  body: Expr;
  span: Span;
}

export type Statement = TagStatement | AudienceStatement;

export interface NumberLiteral { kind: 'NumberLiteral'; text: string; span: Span }
export interface StringLiteral { kind: 'StringLiteral'; value: string; span: Span }
export interface BooleanLiteral { kind: 'BooleanLiteral'; value: boolean; span: Span }

export type DurationUnit = 'hours' | 'days' | 'weeks' | 'months' | 'years';
/** `30 days`, `30d`: `amount` is the written digits. */
export interface DurationLiteral { kind: 'DurationLiteral'; amount: string; unit: DurationUnit; span: Span }

/** One step of a dotted path: `.name`, or `["any text"]` (`quoted`). */
export interface PathSegment { text: string; quoted: boolean; span: Span }

/** A dotted name (`city`, `tag.high_value`, `orders.amount`, `events["add to cart"].occurred_at`), resolved by the checker. */
export interface Reference { kind: 'Reference'; segments: PathSegment[]; span: Span }

export interface Negate { kind: 'Negate'; operand: Expr; span: Span }
export interface Not { kind: 'Not'; operand: Expr; span: Span }

export interface Logical { kind: 'Logical'; op: 'and' | 'or'; operands: Expr[]; span: Span }

export type ArithmeticOp = '+' | '-' | '*' | '/';
/** `first op1 operand1 op2 operand2 ...`, left-associative; all ops of one precedence level. */
export interface Arithmetic { kind: 'Arithmetic'; first: Expr; rest: { op: ArithmeticOp; operand: Expr; span: Span }[]; span: Span }

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export interface Comparison { kind: 'Comparison'; op: ComparisonOp; left: Expr; right: Expr; opSpan: Span; span: Span }
export interface InList { kind: 'InList'; operand: Expr; items: Expr[]; negated: boolean; span: Span }
export interface Between { kind: 'Between'; operand: Expr; low: Expr; high: Expr; negated: boolean; span: Span }
export interface IsNull { kind: 'IsNull'; operand: Expr; negated: boolean; span: Span }
export interface StringTest { kind: 'StringTest'; op: 'contains' | 'starts_with'; operand: Expr; pattern: Expr; span: Span }

export interface Case { kind: 'Case'; branches: { when: Expr; then: Expr }[]; otherwise?: Expr; span: Span }

/** What may follow a call argument: `where C`, `within 30 days`, `desc`, `asc`. */
export type Modifier =
  | { kind: 'where'; condition: Expr; span: Span }
  | { kind: 'within'; duration: DurationLiteral; span: Span }
  | { kind: 'desc' | 'asc'; span: Span };

export interface CallArgument { value: Expr; modifiers: Modifier[]; span: Span }

/** `name(args)`: functions, aggregates and population functions alike; `name` is lower-cased. */
export interface Call { kind: 'Call'; name: Name; args: CallArgument[]; span: Span }

export type Expr =
  | NumberLiteral | StringLiteral | BooleanLiteral | DurationLiteral | Reference
  | Negate | Not | Logical | Arithmetic | Comparison | InList | Between | IsNull | StringTest | Case | Call;

export type Node = Statement | Expr;
