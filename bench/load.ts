/** Drives one endpoint with autocannon and boils the result down to what the report needs. */
import autocannon from 'autocannon';
import { type CpuPerRequest } from './cpu';

export interface LoadOptions {
  title: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  durationSeconds: number;
  connections: number;
  /** The token for the next request (none: no Authorization). Called once per request sent. */
  nextToken?: () => string;
  /** The body of the next request, when each request needs its own (login, refresh). */
  nextBody?: () => string;
}

export interface LoadStats {
  title: string;
  durationSeconds: number;
  requestsPerSecond: number;
  /** The busiest one-second sample. */
  requestsPerSecondMax: number;
  /** 2xx responses per second of the run: what was actually served. */
  successesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  sent: number;
  responses: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** The first few non-2xx answers, so a failure explains itself. */
  non2xxSamples: { status: number; body: string }[];
  /** Filled in by the caller when it can measure CPU time (Linux). */
  cpuPerRequest?: CpuPerRequest;
  /** When several rounds were run: each round's 2xx/s (this run is the median one). */
  rounds?: number[];
}

const SAMPLES = 5;

export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const non2xxSamples: LoadStats['non2xxSamples'] = [];
  const headers: Record<string, string> = {};
  if (options.body !== undefined || options.nextBody !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const { nextToken, nextBody } = options;

  const result = await autocannon({
    title: options.title,
    url: options.baseUrl,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: options.method,
        path: options.path,
        headers,
        body: options.body,
        setupRequest: (request) => {
          if (nextToken) {
            request.headers = { ...request.headers, authorization: `Bearer ${nextToken()}` };
          }
          if (nextBody) request.body = nextBody();
          return request;
        },
        onResponse: (status, body) => {
          if ((status < 200 || status > 299) && non2xxSamples.length < SAMPLES) {
            non2xxSamples.push({ status, body: body.slice(0, 500) });
          }
        },
      },
    ],
  });

  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = stat.count ?? 0;
  }
  const responses = Object.values(statusCodes).reduce((sum, count) => sum + count, 0);
  return {
    title: options.title,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.average,
    requestsPerSecondMax: result.requests.max,
    successesPerSecond: result['2xx'] / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    sent: result.requests.sent,
    responses,
    responses2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    non2xxSamples,
  };
}
