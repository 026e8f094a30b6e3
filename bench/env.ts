/** A numeric bench setting from the environment: `fallback` when unset, a clear error when out of range. */
export function numberFromEnv(name: string, fallback: number, min = 1, max = Infinity): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a number ${range} (got "${raw}")`);
  }
  return value;
}
