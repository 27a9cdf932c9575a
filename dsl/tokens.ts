import { createToken, Lexer, type TokenType } from 'chevrotain';

/**
 * The token vocabulary of the tag and audience language. Keywords are case-insensitive; names are
 * case-sensitive. Hard keywords cannot be names. Soft keywords (`label`, `category`, `description`,
 * type names, duration units) carry the `Identifier` category, so they stay usable as names
 * (`items.category`, `date("...")`).
 */

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'name' });

function hard(word: string): TokenType {
  return createToken({ name: cap(word), pattern: new RegExp(`${word}(?![A-Za-z0-9_])`, 'i'), label: word });
}

function soft(name: string, word: string, label: string): TokenType {
  return createToken({ name, pattern: new RegExp(`${word}(?![A-Za-z0-9_])`, 'i'), label, categories: [Identifier] });
}

function cap(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /--[^\r\n]*/, group: Lexer.SKIPPED });

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\]|\\[\s\S])*"/, label: 'string literal', line_breaks: true });
/** A string with no closing quote: reported by the lexer stage, never handed to the parser. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\]|\\[\s\S])*\\?/, label: 'string literal', line_breaks: true });
export const ShortDuration = createToken({ name: 'ShortDuration', pattern: /[0-9]+[dhw](?![A-Za-z0-9_])/i, label: 'duration' });
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /[0-9]+(?:\.[0-9]+)?/, label: 'number literal' });

export const LessEq = createToken({ name: 'LessEq', pattern: /<=/, label: '<=' });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/, label: '>=' });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: '!=' });
export const Less = createToken({ name: 'Less', pattern: /</, label: '<' });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: '>' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '=' });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: '+' });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: '-' });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: '*' });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: '/' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: '(' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: ')' });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: '[' });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: ']' });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: ',' });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: '.' });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: ':' });

export const Tag = hard('tag');
export const Audience = hard('audience');
export const And = hard('and');
export const Or = hard('or');
export const Not = hard('not');
export const In = hard('in');
export const Between = hard('between');
export const Is = hard('is');
export const Null = hard('null');
export const Contains = hard('contains');
export const Starts = hard('starts');
export const With = hard('with');
export const Case = hard('case');
export const When = hard('when');
export const Then = hard('then');
export const Else = hard('else');
export const End = hard('end');
export const True = hard('true');
export const False = hard('false');
export const Where = hard('where');
export const Within = hard('within');
export const Desc = hard('desc');
export const Asc = hard('asc');

export const Label = soft('Label', 'label', 'label');
export const Category = soft('Category', 'category', 'category');
export const Description = soft('Description', 'description', 'description');
export const BooleanType = soft('BooleanType', 'boolean', 'boolean');
export const NumberType = soft('NumberType', 'number', 'number');
export const StringType = soft('StringType', 'string', 'string');
export const DateType = soft('DateType', 'date', 'date');
export const TimestampType = soft('TimestampType', 'timestamp', 'timestamp');
export const EnumType = soft('EnumType', 'enum', 'enum');
export const HourUnit = soft('HourUnit', 'hours?', 'hours');
export const DayUnit = soft('DayUnit', 'days?', 'days');
export const WeekUnit = soft('WeekUnit', 'weeks?', 'weeks');
export const MonthUnit = soft('MonthUnit', 'months?', 'months');
export const YearUnit = soft('YearUnit', 'years?', 'years');

const hardKeywords = [Tag, Audience, And, Or, Not, In, Between, Is, Null, Contains, Starts, With, Case, When, Then, Else,
  End, True, False, Where, Within, Desc, Asc];
const softKeywords = [Label, Category, Description, BooleanType, NumberType, StringType, TimestampType, DateType,
  EnumType, HourUnit, DayUnit, WeekUnit, MonthUnit, YearUnit];

/**
 * Lexer order matters: whitespace and `--` comments before `-`; a closed string before an
 * unterminated one; `30d` before the number `30`; two-character operators before one-character
 * ones; keywords before `Identifier`. Every keyword pattern refuses to stop before a name character,
 * so `orders` is a name, not `or` + `ders`, and `description` is not `desc` + `ription`.
 */
export const allTokens: TokenType[] = [
  WhiteSpace, Comment, StringLiteral, UnterminatedString, ShortDuration, NumberLiteral,
  LessEq, GreaterEq, NotEq, Less, Greater, Equals, Plus, Minus, Star, Slash,
  LParen, RParen, LBracket, RBracket, Comma, Dot, Colon,
  ...softKeywords, ...hardKeywords, Identifier,
];

/** Tokens that may be written where a duration unit is expected. */
export const unitTokens: TokenType[] = [HourUnit, DayUnit, WeekUnit, MonthUnit, YearUnit];
