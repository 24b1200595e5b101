// Run throughput: each job triggered again as soon as its run ended, by its own client, for a fixed time.
type Call = (method: string, path: string, body?: unknown) => Promise<{ data: any }>;

export async function backToBack(
  call: Call,
  jobs: string[],
  seconds: number,
): Promise<{ completed: number; perSecond: number }> {
  let completed = 0;
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    jobs.map(async (jobId) => {
      while (Date.now() < until) {
        const run = (await call('POST', `/jobs/${jobId}/runs`)).data;
        const done = (await call('GET', `/jobs/${jobId}/runs/${run.id}?wait=20`)).data;
        if (done.status === 'succeeded') completed++;
      }
    }),
  );
  return { completed, perSecond: completed / ((performance.now() - started) / 1000) };
}
