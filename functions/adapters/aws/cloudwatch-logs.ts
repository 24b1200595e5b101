// The LogSource in AWS: container output in CloudWatch Logs. The awslogs driver writes each task to the stream
// <job id>/job/<task id> (stream prefix = job id, container name `job`), so a job's lines are the streams under
// its prefix and a run's lines are its task's stream. awslogs does not keep stdout and stderr apart: every line
// is reported as stdout.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { UnavailableError, ValidationError } from '../../core/errors.ts';
import type { JobRef } from '../../core/jobs.ts';
import type { LogLine, LogQuery, LogSource, Page, RunStore } from '../../core/ports.ts';
import { logStreamName, taskId } from '../../orchestration/ecs-names.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadLogs = () => import('@aws-sdk/client-cloudwatch-logs');
type Logs = Awaited<ReturnType<typeof loadLogs>>;

const MAX_EVENTS = 10_000;


export class CloudWatchLogSource implements LogSource {
  readonly #logGroupName: string;
  readonly #logs: LazySdk<Logs, CloudWatchLogsClient>;
  readonly #runs: RunStore;

  constructor(options: { logGroupName: string; runs: RunStore; client?: CloudWatchLogsClient }) {
    this.#logGroupName = options.logGroupName;
    this.#logs = new LazySdk(loadLogs, (sdk) => new sdk.CloudWatchLogsClient({}), options.client);
    this.#runs = options.runs;
  }

  async query(query: LogQuery): Promise<Page<LogLine>> {
    const streams = query.run_id ? await this.#runStreams(query.job, query.run_id) : undefined;
    if (streams?.length === 0) return { items: [], next_cursor: null };
    const { sdk, client } = await this.#logs.get();
    let output;
    try {
      output = await client.send(
        new sdk.FilterLogEventsCommand({
          logGroupName: this.#logGroupName,
          ...(streams ? { logStreamNames: streams } : { logStreamNamePrefix: `${query.job.job_id}/` }),
          startTime: query.start?.getTime(),
          endTime: query.end?.getTime(),
          // A quoted term: the lines that contain this exact text.
          filterPattern: query.filter ? JSON.stringify(query.filter) : undefined,
          limit: Math.min(query.limit, MAX_EVENTS),
          nextToken: query.cursor,
        }),
      );
    } catch (error) {
      if (error instanceof sdk.ResourceNotFoundException) return { items: [], next_cursor: null };
      if ((error as Error).name === 'InvalidParameterException' && query.cursor) throw ValidationError.field('cursor', 'is not a cursor this log returned');
      throw new UnavailableError('CloudWatch Logs', { cause: error });
    }
    const runsByTask = await this.#runsByTask(query.job, query.run_id);
    const items = (output.events ?? []).map((event) => ({
      timestamp: new Date(event.timestamp ?? 0).toISOString(),
      run_id: runsByTask.get(event.logStreamName?.split('/').pop() ?? '') ?? query.run_id ?? '',
      stream: 'stdout' as const,
      message: (event.message ?? '').replace(/\n$/, ''),
    }));
    return { items, next_cursor: output.nextToken ?? null };
  }

  async #runStreams(job: JobRef, runId: string): Promise<string[]> {
    const run = await this.#runs.get({ ...job, run_id: runId });
    return run?.backend.task ? [logStreamName(job.job_id, run.backend.task)] : [];
  }

  /** Which run each task belongs to, from the job's recent runs (a task's stream names only the task). */
  async #runsByTask(job: JobRef, runId: string | undefined): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (runId) return map;
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const runs = await this.#runs.listForJob(job, {}, { limit: 100, cursor });
      for (const run of runs.items) if (run.backend.task) map.set(taskId(run.backend.task), run.id);
      if (!runs.next_cursor) break;
      cursor = runs.next_cursor;
    }
    return map;
  }

  async deleteForJob(job: JobRef): Promise<void> {
    const { sdk, client } = await this.#logs.get();
    let nextToken: string | undefined;
    do {
      const output = await client.send(
        new sdk.DescribeLogStreamsCommand({ logGroupName: this.#logGroupName, logStreamNamePrefix: `${job.job_id}/`, nextToken }),
      );
      for (const stream of output.logStreams ?? []) {
        await client.send(new sdk.DeleteLogStreamCommand({ logGroupName: this.#logGroupName, logStreamName: stream.logStreamName }));
      }
      nextToken = output.nextToken;
    } while (nextToken);
  }
}
