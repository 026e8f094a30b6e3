/** Times as the admin reads them: local, to the second, with the ISO instant on hover. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A short, recognisable device name from a user agent. */
export function device(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(userAgent)?.[1];
  const system = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(userAgent)?.[1];
  if (browser || system) {
    const name = browser === 'Edg' ? 'Edge' : browser;
    return [name, system?.replace('Mac OS X', 'macOS')].filter(Boolean).join(' on ');
  }
  return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent;
}

export const shortId = (id: string | null): string => (id ? id.slice(0, 8) : '—');
