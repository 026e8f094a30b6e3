import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/users/…`): the service serves one page at /admin, never a catch-all. */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

function current(): Route {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(search ?? ''),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value) search.set(key, value);
  const query = search.toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}

export const go = (path: string, params?: Record<string, string | undefined>): void => {
  location.hash = href(path, params);
};
