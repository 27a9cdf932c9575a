/** Masks for personal data shown without the `pii` scope. */

/** `13812345678` → `138****5678`. */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  if (phone.length < 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** `alice@example.com` → `a***@example.com`. */
export function maskEmail(email: string | null): string | null {
  if (email === null) return null;
  const at = email.indexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** `张三丰` → `张**`, `Alice` → `A****`. */
export function maskName(name: string | null): string | null {
  if (name === null) return null;
  const chars = [...name];
  if (chars.length === 0) return name;
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
