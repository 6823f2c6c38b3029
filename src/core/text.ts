/**
 * Text every backend can store. PostgreSQL refuses NUL characters and lone UTF-16 surrogates
 * (SQLite and memory accept them), so text the worker writes on its own account (error
 * messages) is made storable here, once, before it reaches any backend.
 */

/** True for text every backend can store: no NUL, no lone UTF-16 surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes("\0") && s.isWellFormed();
}

/**
 * `s` made storable: NUL and lone surrogates become U+FFFD, and text longer than `maxLength`
 * UTF-16 units is cut on a code-point boundary (never between the halves of a surrogate pair).
 */
export function storableText(s: string, maxLength = Number.POSITIVE_INFINITY): string {
  let text = isStorableText(s) ? s : s.replaceAll("\0", "\uFFFD").toWellFormed();
  if (text.length > maxLength) {
    let end = Math.max(0, Math.floor(maxLength));
    const last = text.charCodeAt(end - 1);
    if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
    text = text.slice(0, end);
  }
  return text;
}
