/** The runtime's fetch, recording the path of every request it sends (what reached the service). */
export function recordingFetch(): {
  fetch: (request: Request) => Promise<Response>;
  paths: string[];
  count: (path: string) => number;
} {
  const paths: string[] = [];
  return {
    paths,
    count: (path) => paths.filter((sent) => sent === path).length,
    fetch: (request) => {
      paths.push(new URL(request.url).pathname);
      return fetch(request);
    },
  };
}

/**
 * Holds requests to `path` until `size` of them are waiting, then lets them all go: they reach
 * the service together, as two tabs refreshing at the same moment would.
 */
export function barrierFetch(
  path: string,
  size: number,
  inner: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  const waiting: (() => void)[] = [];
  return async (request) => {
    if (new URL(request.url).pathname === path && size > 0) {
      await new Promise<void>((release) => {
        waiting.push(release);
        if (waiting.length === size) {
          size = 0;
          for (const go of waiting) go();
        }
      });
    }
    return inner(request);
  };
}
