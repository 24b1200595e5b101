// The LogSource in AWS: container output in CloudWatch Logs. The awslogs driver writes each task to the stream
// <job id>/job/<task id> (stream prefix = job id, container name `job`), so a job's lines are the streams under
// its prefix and a run's lines are its task's stream (a run of several tasks: its tasks' streams, searched together). awslogs does not keep stdout and stderr apart: every line
// is reported as stdout.
//
// Cursors: a run's is its stream and GetLogEvents' forward token, which stays valid at the end of the stream and
// moves on as lines arrive, so a follower resumes exactly. A job's is FilterLogEvents' next token while a search
// has more, then the last timestamp read with the ids of the events at it (FilterLogEvents has no token at the
// end of a search).
import type {
  CloudWatchLogsClient,
  FilteredLogEvent,
  FilterLogEventsCommandOutput,
  GetLogEventsCommandOutput,
  OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { UnavailableError, ValidationError } from '../../core/errors.ts';
import type { JobRef } from '../../core/jobs.ts';
import type { LogLine, LogPage, LogQuery, LogSource, RunNotes, RunStore } from '../../core/ports.ts';
import type { Run, RunRef } from '../../core/run-model.ts';
import { logStreamName, taskId } from '../../orchestration/ecs-names.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadLogs = () => import('@aws-sdk/client-cloudwatch-logs');
type Logs = Awaited<ReturnType<typeof loadLogs>>;
/** The CloudWatch Logs client, made on first use (or the one given, in tests). */
const lazyLogs = (client?: CloudWatchLogsClient) =>
  new LazySdk<Logs, CloudWatchLogsClient>(loadLogs, (sdk) => new sdk.CloudWatchLogsClient({}), client);

const MAX_EVENTS = 10_000;
/** FilterLogEvents takes at most this many stream names. */
const MAX_STREAMS = 100;
/** How long after a run ends its last lines may still be on their way into CloudWatch Logs. */
export const INGESTION_LAG_MS = 5_000;

interface RunCursor {
  l: string;
  /** The stream the token belongs to (a retried run's new attempt writes to a new stream). */
  s?: string;
  k?: string;
}

interface JobCursor {
  l: string;
  k?: string;
  /** The last timestamp returned, and the ids of the events returned at it. */
  t?: number;
  e?: string[];
}

export class CloudWatchLogSource implements LogSource {
  readonly #logGroupName: string;
  readonly #logs: LazySdk<Logs, CloudWatchLogsClient>;
  readonly #runs: RunStore;

  constructor(options: { logGroupName: string; runs: RunStore; client?: CloudWatchLogsClient }) {
    this.#logGroupName = options.logGroupName;
    this.#logs = lazyLogs(options.client);
    this.#runs = options.runs;
  }

  query(query: LogQuery): Promise<LogPage> {
    return query.run_id ? this.#runQuery(query, query.run_id) : this.#jobQuery(query);
  }

  settled(run: Run): boolean {
    return run.finished_at !== null && Date.now() >= Date.parse(run.finished_at) + INGESTION_LAG_MS;
  }

  async #runQuery(query: LogQuery, runId: string): Promise<LogPage> {
    const run = await this.#runs.get({ ...query.job, run_id: runId });
    if (run && run.tasks.count > 1) return this.#tasksQuery(query, run);
    const cursor = query.cursor ? decodeCursor<RunCursor>(query.cursor, runId) : { l: runId };
    const unchanged = { items: [], cursor: encodeCursor(cursor), more: false };
    if (!run?.backend.task) return unchanged;
    const stream = logStreamName(query.job.job_id, run.backend.task);
    const { sdk, client } = await this.#logs.get();
    let output: GetLogEventsCommandOutput;
    try {
      output = await client.send(
        new sdk.GetLogEventsCommand({
          logGroupName: this.#logGroupName,
          logStreamName: stream,
          startFromHead: true,
          // A cursor of an earlier attempt's stream: this attempt's stream is read from its start.
          nextToken: cursor.s === stream ? cursor.k : undefined,
          startTime: query.start?.getTime(),
          endTime: query.end?.getTime(),
          limit: Math.min(query.limit, MAX_EVENTS),
        }),
      );
    } catch (error) {
      if (error instanceof sdk.ResourceNotFoundException) return unchanged; // the stream is created with the first line
      throw this.#failure(error, sdk, query);
    }
    const events = output.events ?? [];
    const items = events.map((event) => toLine(event, runId, run.attempt)).filter((line) => matches(line, query));
    const next: RunCursor = {
      l: runId,
      s: stream,
      k: output.nextForwardToken ?? (cursor.s === stream ? cursor.k : undefined),
    };
    return { items, cursor: encodeCursor(next), more: events.length >= Math.min(query.limit, MAX_EVENTS) };
  }

  /**
   * A run of several tasks: its tasks' streams searched together (at most 100 streams a search: the first 100 tasks
   * that started, or the one `task` names), each line told by its stream which task and attempt wrote it.
   */
  async #tasksQuery(query: LogQuery, run: Run): Promise<LogPage> {
    const ref = { ...query.job, run_id: run.id };
    const tasks =
      query.task === undefined
        ? await this.#runs.tasks(ref, 0, run.tasks.count - 1)
        : [await this.#runs.task(ref, query.task)].filter((t) => t !== null);
    const started = tasks.filter((t) => t.task !== null).slice(0, MAX_STREAMS);
    const byStream = new Map(started.map((t) => [logStreamName(query.job.job_id, t.task!), t]));
    if (byStream.size === 0) return { items: [], cursor: query.cursor ?? encodeCursor({ l: run.id }), more: false };
    return this.#search(query, run.id, { logStreamNames: [...byStream.keys()] }, (event) => {
      const task = byStream.get(event.logStreamName ?? '');
      return toLine(event, run.id, task?.attempt ?? 1, task?.index ?? 0);
    });
  }

  async #jobQuery(query: LogQuery): Promise<LogPage> {
    const jobId = query.job.job_id;
    const runs = await this.#runsByTask(query.job);
    return this.#search(query, jobId, { logStreamNamePrefix: `${jobId}/` }, (event) => {
      const found = runs.get(event.logStreamName?.split('/').pop() ?? '');
      return toLine(event, found?.run.id ?? '', found?.attempt ?? 1, found?.index ?? 0);
    });
  }

  /** A FilterLogEvents search of some streams, paged by its cursor (`scope`: the job or run it belongs to). */
  async #search(
    query: LogQuery,
    scope: string,
    streams: { logStreamNamePrefix: string } | { logStreamNames: string[] },
    lineOf: (event: FilteredLogEvent) => LogLine,
  ): Promise<LogPage> {
    const cursor = query.cursor ? decodeCursor<JobCursor>(query.cursor, scope) : { l: scope };
    const { sdk, client } = await this.#logs.get();
    const start = Math.max(query.start?.getTime() ?? 0, cursor.t ?? 0) || undefined;
    let output: FilterLogEventsCommandOutput;
    try {
      output = await client.send(
        new sdk.FilterLogEventsCommand({
          logGroupName: this.#logGroupName,
          ...streams,
          startTime: start,
          endTime: query.end?.getTime(),
          // A quoted term: the lines that contain this exact text.
          filterPattern: query.filter ? JSON.stringify(query.filter) : undefined,
          limit: Math.min(query.limit, MAX_EVENTS),
          nextToken: cursor.k,
        }),
      );
    } catch (error) {
      if (error instanceof sdk.ResourceNotFoundException)
        return { items: [], cursor: encodeCursor(cursor), more: false };
      throw this.#failure(error, sdk, query);
    }
    const seen = new Set(cursor.t !== undefined ? (cursor.e ?? []) : []);
    const events = (output.events ?? []).filter(
      (event) => !(event.timestamp === cursor.t && seen.has(event.eventId ?? '')),
    );
    const items = events.map(lineOf).filter((line) => matches(line, query));
    return {
      items,
      cursor: encodeCursor(nextJobCursor(cursor, events, output.nextToken)),
      more: Boolean(output.nextToken),
    };
  }

  #failure(error: unknown, sdk: Logs, query: LogQuery): Error {
    if (error instanceof sdk.InvalidParameterException && query.cursor)
      return ValidationError.field('cursor', 'is not a cursor this log returned');
    return new UnavailableError('CloudWatch Logs', { cause: error });
  }

  /** Which run (and task of it) each ECS task belongs to, from the job's recent runs (a stream names only the ECS task). */
  async #runsByTask(job: JobRef): Promise<Map<string, { run: Run; index: number; attempt: number }>> {
    const map = new Map<string, { run: Run; index: number; attempt: number }>();
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const runs = await this.#runs.listForJob(job, {}, { limit: 100, cursor });
      for (const run of runs.items) {
        if (run.tasks.count === 1) {
          if (run.backend.task) map.set(taskId(run.backend.task), { run, index: 0, attempt: run.attempt });
          continue;
        }
        for (const task of await this.#runs.tasks({ ...job, run_id: run.id }, 0, run.tasks.count - 1)) {
          if (task.task) map.set(taskId(task.task), { run, index: task.index, attempt: task.attempt });
        }
      }
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
        new sdk.DescribeLogStreamsCommand({
          logGroupName: this.#logGroupName,
          logStreamNamePrefix: `${job.job_id}/`,
          nextToken,
        }),
      );
      for (const stream of output.logStreams ?? []) {
        await client.send(
          new sdk.DeleteLogStreamCommand({ logGroupName: this.#logGroupName, logStreamName: stream.logStreamName }),
        );
      }
      nextToken = output.nextToken;
    } while (nextToken);
  }
}

function toLine(event: OutputLogEvent | FilteredLogEvent, runId: string, attempt: number, taskIndex = 0): LogLine {
  return {
    timestamp: new Date(event.timestamp ?? 0).toISOString(),
    run_id: runId,
    attempt,
    task_index: taskIndex,
    stream: 'stdout',
    message: (event.message ?? '').replace(/\n$/, ''),
  };
}

/** What GetLogEvents cannot filter by itself (FilterLogEvents filters the text on its side). */
function matches(line: LogLine, query: LogQuery): boolean {
  return (
    (!query.run_id || !query.filter || line.message.includes(query.filter)) &&
    (query.attempt === undefined || line.attempt === query.attempt) &&
    (query.task === undefined || line.task_index === query.task)
  );
}

/** While the search has more, its token; after, the last timestamp returned and the events returned at it. */
function nextJobCursor(cursor: JobCursor, events: FilteredLogEvent[], nextToken: string | undefined): JobCursor {
  if (nextToken) return { l: cursor.l, k: nextToken, t: cursor.t, e: cursor.e };
  const last = events.at(-1)?.timestamp;
  if (last === undefined) return { l: cursor.l, t: cursor.t, e: cursor.e };
  const atLast = events.filter((event) => event.timestamp === last).map((event) => event.eventId ?? '');
  return { l: cursor.l, t: last, e: last === cursor.t ? [...(cursor.e ?? []), ...atLast] : atLast };
}

function encodeCursor(cursor: RunCursor | JobCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor<C extends { l: string }>(text: string, scope: string): C {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  if (typeof cursor !== 'object' || cursor === null || typeof (cursor as { l?: unknown }).l !== 'string') {
    throw ValidationError.field('cursor', 'is not a cursor this log returned');
  }
  const { l } = cursor as { l: string };
  if (l !== scope) throw ValidationError.field('cursor', `was returned by the log of ${l}, not of ${scope}`);
  return cursor as C;
}

/**
 * The RunNotes of AWS: a line of the service's own put into the stream of the run's task (the one its attempt
 * wrote), so a reader of the run's log finds it among the task's own lines.
 */
export class CloudWatchRunNotes implements RunNotes {
  readonly #logGroupName: string;
  readonly #logs: LazySdk<Logs, CloudWatchLogsClient>;
  readonly #runs: RunStore;

  constructor(options: { logGroupName: string; runs: RunStore; client?: CloudWatchLogsClient }) {
    this.#logGroupName = options.logGroupName;
    this.#logs = lazyLogs(options.client);
    this.#runs = options.runs;
  }

  async note(ref: RunRef, index: number, _attempt: number, message: string): Promise<void> {
    const run = await this.#runs.get(ref);
    const task = run && (run.tasks.count > 1 ? (await this.#runs.task(ref, index))?.task : run.backend.task);
    if (!task) return;
    const { sdk, client } = await this.#logs.get();
    await client.send(
      new sdk.PutLogEventsCommand({
        logGroupName: this.#logGroupName,
        logStreamName: logStreamName(ref.job_id, task),
        logEvents: [{ timestamp: Date.now(), message: `jobs: ${message}` }],
      }),
    );
  }
}
