/** An address in the stored form; only `normalizeEmail` makes one, so no lookup can skip it. */
export type NormalizedEmail = string & { readonly __normalizedEmail: unique symbol };

/**
 * The one form of an email address the service stores, looks up and keys rate limits on:
 * trimmed, Unicode NFKC, then lower-cased with the locale-independent Unicode mapping
 * (`String.prototype.toLowerCase`), then NFKC again (lower-casing can leave a sequence that
 * composes).
 *
 * Why not PostgreSQL's `lower()`: it depends on the database's collation provider and locale.
 * With glibc, `lower('İ')` (U+0130) is `i`, while Unicode lower-cases it to `i̇` (i + U+0307),
 * so one address reached one account through the database and two rate-limit buckets through
 * JavaScript. Folding happens here, once, and the database compares the stored form exactly.
 * Likewise NFKC folds compatibility forms (`ｖｉｃｔｉｍ`, ligatures) that would otherwise be
 * distinct accounts that look alike.
 */
export function normalizeEmail(email: string): NormalizedEmail {
  return email.trim().normalize('NFKC').toLowerCase().normalize('NFKC') as NormalizedEmail;
}

/** The part before the last `@`, normalised: passwords may not contain it. */
export function localPartOf(email: string): string {
  const normalized = normalizeEmail(email);
  const at = normalized.lastIndexOf('@');
  return at < 0 ? normalized : normalized.slice(0, at);
}
