/**
 * Deeper than any body or query this API takes (its deepest is two levels), shallow enough
 * that no recursive walk downstream (class-transformer, class-validator) can exhaust the stack.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Keys that would reach an object's prototype when copied with `target[key] = value` (as
 * class-transformer does), or that no field of this API is named. They are refused outright
 * instead of being silently dropped or, worse, silently applied.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why `input` (a parsed body or query) is not acceptable, or `undefined` when it is. Walks
 * iteratively, so a hostile nesting depth cannot overflow the stack here either.
 */
export function unsafeInputShape(input: unknown): string | undefined {
  const pending: { value: unknown; depth: number; path: string }[] = [
    { value: input, depth: 0, path: '' },
  ];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_INPUT_DEPTH) return `input is nested deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const key of Object.keys(value)) {
      const name = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return `property ${name} should not exist`;
      pending.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        path: name,
      });
    }
  }
  return undefined;
}
