import { CstParser, type CstNode, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import type { DslError } from './errors.js';
import { messages, toDslErrors } from './parser-errors.js';

export { ParseErrorCode } from './parser-errors.js';

// Alternatives and separated lists are built through these helpers rather than as `{ ALT: () => ... }` literals: a
// transpiler that keeps function names (tsx) would otherwise wrap every such closure, on every
// rule invocation, in a call that defines its name, which costs more than the parsing itself.
function alt(fn: () => unknown, gate?: () => boolean): { ALT: () => unknown; GATE?: () => boolean } {
  return gate ? { ALT: fn, GATE: gate } : { ALT: fn };
}

function commaSeparated(fn: () => unknown): { SEP: TokenType; DEF: () => unknown } {
  return { SEP: T.Comma, DEF: fn };
}

/**
 * The grammar, as one Chevrotain CstParser with error recovery on. Precedence, loosest first:
 * `or`, `and`, `not`, a predicate (comparison, `in`, `between`, `is null`, `contains`,
 * `starts with`), `+ -`, `* /`, unary `-`, primary. Grammar validation is skipped at start-up
 * (Chevrotain 13 validates with Node 22's `Object.groupBy`); test/dsl/parser.test.ts runs it.
 */
export class DslParser extends CstParser {
  constructor(options: { validate?: boolean } = {}) {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'onlyOffset',
      skipValidations: !options.validate,
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  statement = this.RULE('statement', () => {
    this.OR([alt(() => this.SUBRULE(this.tagStatement)), alt(() => this.SUBRULE(this.audienceStatement))]);
  });

  tagStatement = this.RULE('tagStatement', () => {
    this.CONSUME(T.Tag);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeSpec);
    this.MANY(() => this.SUBRULE(this.clause));
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: 'body' });
  });

  audienceStatement = this.RULE('audienceStatement', () => {
    this.CONSUME(T.Audience);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.MANY(() => this.SUBRULE(this.clause));
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: 'body' });
  });

  clause = this.RULE('clause', () => {
    this.OR([
      alt(() => this.CONSUME(T.Label, { LABEL: 'keyword' })),
      alt(() => this.CONSUME(T.Category, { LABEL: 'keyword' })),
      alt(() => this.CONSUME(T.Description, { LABEL: 'keyword' })),
    ]);
    this.CONSUME(T.StringLiteral);
  });

  typeSpec = this.RULE('typeSpec', () => {
    this.OR([
      alt(() => this.CONSUME(T.BooleanType, { LABEL: 'simple' })),
      alt(() => this.CONSUME(T.NumberType, { LABEL: 'simple' })),
      alt(() => this.CONSUME(T.StringType, { LABEL: 'simple' })),
      alt(() => this.CONSUME(T.DateType, { LABEL: 'simple' })),
      alt(() => this.CONSUME(T.TimestampType, { LABEL: 'simple' })),
      alt(() => {
        this.CONSUME(T.EnumType);
        this.CONSUME(T.LParen);
        this.AT_LEAST_ONE_SEP(commaSeparated(() => this.CONSUME(T.StringLiteral)));
        this.CONSUME(T.RParen);
      }),
    ]);
  });

  /** A bare expression, as accepted by validateDsl, compileExpression and compileFilter. */
  standalone = this.RULE('standalone', () => {
    this.SUBRULE(this.expression);
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr, { LABEL: 'operands' });
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr, { LABEL: 'operands' });
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.Not);
        this.SUBRULE(this.notExpr);
      }),
      alt(() => this.SUBRULE(this.predicate)),
    ]);
  });

  predicate = this.RULE('predicate', () => {
    this.SUBRULE(this.additive, { LABEL: 'subject' });
    this.OPTION(() => {
      this.OR([
        alt(() => {
          this.OR2([
            alt(() => this.CONSUME(T.Equals, { LABEL: 'op' })),
            alt(() => this.CONSUME(T.NotEq, { LABEL: 'op' })),
            alt(() => this.CONSUME(T.Less, { LABEL: 'op' })),
            alt(() => this.CONSUME(T.LessEq, { LABEL: 'op' })),
            alt(() => this.CONSUME(T.Greater, { LABEL: 'op' })),
            alt(() => this.CONSUME(T.GreaterEq, { LABEL: 'op' })),
          ]);
          this.SUBRULE2(this.additive, { LABEL: 'object' });
        }),
        alt(() => {
          this.CONSUME(T.Is);
          this.OPTION2(() => this.CONSUME(T.Not));
          this.CONSUME(T.Null);
        }),
        alt(() => {
          this.OPTION3(() => this.CONSUME2(T.Not));
          this.OR3([
            alt(() => { this.CONSUME(T.In); this.SUBRULE(this.list); }),
            alt(() => {
              this.CONSUME(T.Between);
              this.SUBRULE3(this.additive, { LABEL: 'low' });
              this.CONSUME(T.And);
              this.SUBRULE4(this.additive, { LABEL: 'high' });
            }),
          ]);
        }),
        alt(() => { this.CONSUME(T.Contains); this.SUBRULE5(this.additive, { LABEL: 'pattern' }); }),
        alt(() => {
          this.CONSUME(T.Starts);
          this.CONSUME(T.With);
          this.SUBRULE6(this.additive, { LABEL: 'pattern' });
        }),
      ]);
    });
  });

  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP(commaSeparated(() => this.SUBRULE(this.expression, { LABEL: 'items' })));
    this.CONSUME(T.RBracket);
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([alt(() => this.CONSUME(T.Plus, { LABEL: 'ops' })), alt(() => this.CONSUME(T.Minus, { LABEL: 'ops' }))]);
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([alt(() => this.CONSUME(T.Star, { LABEL: 'ops' })), alt(() => this.CONSUME(T.Slash, { LABEL: 'ops' }))]);
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.Minus);
        this.SUBRULE(this.unary);
      }),
      alt(() => this.SUBRULE(this.primary)),
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.NumberLiteral);
        this.OPTION(() => this.SUBRULE(this.unit));
      }),
      alt(() => this.CONSUME(T.ShortDuration)),
      alt(() => this.CONSUME(T.StringLiteral)),
      alt(() => this.CONSUME(T.True)),
      alt(() => this.CONSUME(T.False)),
      alt(() => {
        this.CONSUME(T.LParen);
        this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
      }),
      alt(() => this.SUBRULE(this.caseExpr)),
      // `tag` and `audience` start an expression only as `tag.NAME`: elsewhere they start a definition
      alt(() => this.SUBRULE(this.keywordReference), () => this.LA(2).tokenType === T.Dot || this.LA(2).tokenType === T.LBracket),
      alt(() => this.SUBRULE(this.nameExpr)),
    ]);
  });

  caseExpr = this.RULE('caseExpr', () => {
    this.CONSUME(T.Case);
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expression, { LABEL: 'conditions' });
      this.CONSUME(T.Then);
      this.SUBRULE2(this.expression, { LABEL: 'results' });
    });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.SUBRULE3(this.expression, { LABEL: 'otherwise' });
    });
    this.CONSUME(T.End);
  });

  keywordReference = this.RULE('keywordReference', () => {
    this.OR([alt(() => this.CONSUME(T.Tag, { LABEL: 'head' })), alt(() => this.CONSUME(T.Audience, { LABEL: 'head' }))]);
    this.AT_LEAST_ONE(() => this.SUBRULE(this.pathSegment));
  });

  nameExpr = this.RULE('nameExpr', () => {
    this.CONSUME(T.Identifier, { LABEL: 'head' });
    this.OR([
      alt(() => {
        this.CONSUME(T.LParen);
        this.MANY_SEP(commaSeparated(() => this.SUBRULE(this.callArgument)));
        this.CONSUME(T.RParen);
      }),
      alt(() => this.MANY(() => this.SUBRULE(this.pathSegment))),
    ]);
  });

  pathSegment = this.RULE('pathSegment', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.Dot);
        this.CONSUME(T.Identifier, { LABEL: 'name' });
      }),
      alt(() => {
        this.CONSUME(T.LBracket);
        this.CONSUME(T.StringLiteral, { LABEL: 'quoted' });
        this.CONSUME(T.RBracket);
      }),
    ]);
  });

  callArgument = this.RULE('callArgument', () => {
    this.SUBRULE(this.expression, { LABEL: 'value' });
    this.MANY(() => this.SUBRULE(this.modifier));
  });

  modifier = this.RULE('modifier', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.Where);
        this.SUBRULE(this.expression, { LABEL: 'condition' });
      }),
      alt(() => {
        this.CONSUME(T.Within);
        this.SUBRULE(this.duration);
      }),
      alt(() => this.CONSUME(T.Desc)),
      alt(() => this.CONSUME(T.Asc)),
    ]);
  });

  duration = this.RULE('duration', () => {
    this.OR([
      alt(() => {
        this.CONSUME(T.NumberLiteral);
        this.SUBRULE(this.unit);
      }),
      alt(() => this.CONSUME(T.ShortDuration)),
    ]);
  });

  unit = this.RULE('unit', () => {
    this.OR(T.unitTokens.map((u) => (alt(() => this.CONSUME(u, { LABEL: 'unit' })))));
  });
}

let shared: DslParser | undefined;

/** The one parser instance, built on first use and reused by every call. */
export function parser(): DslParser {
  shared ??= new DslParser();
  return shared;
}

export interface ParseResult {
  cst: CstNode | undefined;
  errors: DslError[];
}

/** Parses tokens as definitions (`program`) or as one bare expression (`standalone`). */
export function parseTokens(source: string, tokens: IToken[], start: 'program' | 'standalone'): ParseResult {
  const p = parser();
  // Chevrotain signals every syntax error by throwing; a stack trace per exception would cost more
  // than the parse itself on broken input. Restored before returning (all of this is synchronous).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    p.input = tokens;
    const cst = start === 'program' ? p.program() : p.standalone();
    const errors = toDslErrors(source, p.errors);
    return { cst, errors };
  } finally {
    p.input = [];
    Error.stackTraceLimit = stackTraceLimit;
  }
}

