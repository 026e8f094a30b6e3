/**
 * Memory of the service instances over the soak: RSS from /proc/<pid>/status (Linux), and
 * the V8 heap as the instance itself reports it on GET /metrics (prom-client's default
 * `nodejs_heap_size_used_bytes`), every few seconds.
 *
 * Heap used between collections swings by tens of MB with the allocation rate, so it says
 * little about leaks. Every few samples the sampler therefore asks the instance for a full
 * collection first (SIGUSR2, see `GC_ON_SIGNAL_ARGS`) and measures right after it: the heap
 * that survives a full GC is what a leak makes grow.
 */
import { readFileSync } from 'node:fs';

/** Node flags for a child that runs a full GC on SIGUSR2 (nothing else changes). */
export const GC_ON_SIGNAL_ARGS = [
  '--expose-gc',
  '--import=data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())',
];

export interface MemorySample {
  /** Soak time, ms. */
  t: number;
  rssBytes?: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  externalBytes?: number;
  /** Measured right after a forced full GC. */
  afterGc: boolean;
}

export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

function metric(text: string, name: string): number | undefined {
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

async function heapOf(
  baseUrl: string,
): Promise<{ used?: number; total?: number; external?: number }> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return {};
    const text = await response.text();
    return {
      used: metric(text, 'nodejs_heap_size_used_bytes'),
      total: metric(text, 'nodejs_heap_size_total_bytes'),
      external: metric(text, 'nodejs_external_memory_bytes'),
    };
  } catch {
    return {};
  }
}

export class MemorySampler {
  readonly samples: MemorySample[][];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private ticks = 0;

  constructor(
    private readonly targets: readonly { pid: number; baseUrl: string }[],
    private readonly now: () => number,
    private readonly options: {
      intervalMs: number;
      /** Every how many samples one follows a forced GC (0: never). */
      gcEvery: number;
    } = { intervalMs: 5_000, gcEvery: 3 },
  ) {
    this.samples = targets.map(() => []);
  }

  async sampleNow(forceGc = false): Promise<void> {
    if (forceGc) {
      for (const target of this.targets) {
        try {
          process.kill(target.pid, 'SIGUSR2');
        } catch {
          // gone: the sample will say so
        }
      }
      await new Promise((done) => setTimeout(done, 500));
    }
    await Promise.all(
      this.targets.map(async (target, index) => {
        const t = this.now();
        const rssBytes = rssOf(target.pid);
        const heap = await heapOf(target.baseUrl);
        this.samples[index].push({
          t,
          rssBytes,
          heapUsedBytes: heap.used,
          heapTotalBytes: heap.total,
          externalBytes: heap.external,
          afterGc: forceGc,
        });
      }),
    );
  }

  start(): void {
    this.timer = setInterval(() => {
      const forceGc = this.options.gcEvery > 0 && ++this.ticks % this.options.gcEvery === 0;
      this.running ??= this.sampleNow(forceGc).finally(() => (this.running = undefined));
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.sampleNow(this.options.gcEvery > 0);
  }
}
