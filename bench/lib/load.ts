// HTTP load with autocannon. Latency percentiles are computed from every response's own time (autocannon's
// histogram rounds to whole milliseconds, too coarse for figures of a few milliseconds).
import autocannon from 'autocannon';
import { percentile } from './processes.ts';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Called for each request; returns its body (e.g. to make names unique). */
  body?: () => string;
  connections?: number;
  seconds?: number;
  warmupSeconds?: number;
}

function run(options: LoadOptions, seconds: number, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 16,
        duration: seconds,
        method: options.method ?? 'GET',
        headers: options.headers,
        requests: options.body ? [{ setupRequest: (request) => ({ ...request, body: options.body!() }) }] : undefined,
      },
      (error: Error | null, result: any) => {
        if (error) return reject(error);
        const elapsed = result.duration;
        resolve({
          requests: latencies.length,
          rps: Math.round(latencies.length / elapsed),
          p50: round(percentile(latencies, 50)),
          p99: round(percentile(latencies, 99)),
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (record) latencies.push(responseTime);
    });
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds ?? 2) await run(options, options.warmupSeconds ?? 2, false);
  return run(options, options.seconds ?? 10, true);
}
