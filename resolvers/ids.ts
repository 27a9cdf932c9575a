import { badInput } from '../gateway/errors.js';

const ID_RE = /^[1-9][0-9]{0,17}$/;

/** A database id from a GraphQL ID argument; BAD_USER_INPUT naming the argument when malformed. */
export function parseId(value: string | number, argument: string): string {
  const text = String(value);
  if (!ID_RE.test(text)) throw badInput(`argument "${argument}" is not a valid id: ${JSON.stringify(text.slice(0, 40))}`, argument);
  return text;
}
