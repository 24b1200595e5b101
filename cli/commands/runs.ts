// Run commands: run (with --wait and --follow), runs (with --watch), cancel, rerun.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isActive, RUN_STATUSES, type JobsClient, type Run } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { ago, duration, printJson, status, table } from '../output.ts';
import { findJob, findRun } from '../resolve.ts';
import { printLine } from './logs.ts';

function envPair(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`expected NAME=VALUE, got '${text}'`);
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError('expected a whole number of seconds');
  return value;
}

/** The exit status `jobsctl run --wait` ends with: the run's, or 1 when it did not succeed and has none. */
export function exitCodeOf(run: Run): number {
  if (run.status === 'succeeded') return 0;
  return run.exit_code !== null && run.exit_code !== 0 ? run.exit_code : 1;
}

export function summary(run: Run): string {
  const code = run.exit_code === null ? '' : ` (exit ${run.exit_code})`;
  const why = run.error ? `: ${run.error}` : '';
  // A run that never started has no duration: say so rather than print an empty one.
  const took = run.started_at === null ? 'before it started' : `in ${duration(run.duration_ms)}`;
  return `run/${run.id} ${status(run.status)} ${took}${code}${why}`;
}

async function waitForEnd(client: JobsClient, run: Run, signal: AbortSignal): Promise<Run> {
  let current = run;
  while (isActive(current)) current = await client.getRun(run.job_id, run.id, 20, signal);
  return current;
}

/** Ctrl-C stops waiting, never the run: it says how to cancel and exits 130. */
function onInterrupt(run: () => Run | undefined): AbortController {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
    const current = run();
    if (current)
      process.stderr.write(
        `\nstopped waiting; run ${current.id} goes on. Cancel it with: jobsctl cancel ${current.id}\n`,
      );
    process.exit(130);
  });
  return controller;
}

/** Where a waiting run stands: "#3 project acme/etl is at its limit of 2 running tasks"; "-" otherwise. */
export function queued(run: Run): string {
  return run.queue ? `#${run.queue.position} ${run.queue.reason}` : '-';
}

function priority(text: string): number {
  const value = Number(text);
  if (!/^\d{1,3}$/.test(text) || value > 100) throw new InvalidArgumentError('must be a whole number from 0 to 100');
  return value;
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('Start a run of a job now')
    .argument('<job>', 'name or id')
    .option('-e, --env <NAME=VALUE>', 'an environment variable for this run (repeatable)', envPair)
    .option('-c, --command <command>', "run this command instead of the job's (through /bin/sh -c)")
    .option('-w, --wait', 'wait for the run to finish and exit with its exit code')
    .option('-f, --follow', 'print its log lines as they are written (implies --wait)')
    .option('--idempotency-key <key>', 'a repeat with the same key within 24 h returns the same run')
    .option('-p, --priority <0-100>', "this run's priority when limits make runs wait (default the job's)", priority)
    .addHelpText(
      'after',
      '\nExamples:\n  jobsctl run nightly-report --env DAY=2026-12-01 --follow\n  jobsctl run nightly-report --wait -o json\n  jobsctl run backfill --priority 90',
    )
    .action(
      async (
        name: string,
        options: {
          env?: Record<string, string>;
          command?: string;
          wait?: boolean;
          follow?: boolean;
          idempotencyKey?: string;
          priority?: number;
        },
        command: Command,
      ) => {
        const client = clientOf(command);
        const job = await findJob(client, name);
        const body = {
          ...(options.env ? { env: options.env } : {}),
          ...(options.command ? { command: options.command } : {}),
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
        };
        const run = await client.trigger(job.id, body, options.idempotencyKey);
        if (!options.wait && !options.follow) {
          if (formatOf(command) === 'json') return printJson(run);
          return console.log(`run/${run.id} ${status(run.status)}`);
        }
        if (formatOf(command) === 'table') process.stderr.write(`run/${run.id} started\n`);
        const controller = onInterrupt(() => run);
        if (options.follow)
          for await (const line of client.followRun(job.id, run.id, {}, controller.signal)) printLine(line);
        const finished = await waitForEnd(client, run, controller.signal);
        if (formatOf(command) === 'json') printJson(finished);
        else process.stderr.write(`${summary(finished)}\n`);
        process.exitCode = exitCodeOf(finished);
      },
    );

  program
    .command('runs')
    .description('Runs of the project, or of one job, newest first')
    .argument('[job]', 'name or id')
    .addOption(new Option('-s, --status <status>', 'only runs in this status').choices(RUN_STATUSES))
    .option('--limit <n>', 'how many (1-100)', (text) => Number(text), 20)
    .option('--all', 'every page (with -o json: every run)')
    .option('--watch', 'redraw the table as runs change, until Ctrl-C')
    .addHelpText('after', '\nExamples:\n  jobsctl runs nightly-report --status failed\n  jobsctl runs --watch')
    .action(
      async (
        name: string | undefined,
        options: { status?: Run['status']; limit: number; all?: boolean; watch?: boolean },
        command: Command,
      ) => {
        const client = clientOf(command);
        const job = name ? await findJob(client, name) : undefined;
        const query = {
          limit: options.all ? 100 : options.limit,
          ...(options.status ? { status: options.status } : {}),
        };
        const page = (cursor: string | undefined) =>
          job ? client.listJobRuns(job.id, { ...query, cursor }) : client.listRuns({ ...query, cursor });
        const read = async () => {
          if (!options.all) return (await page(undefined)).items;
          const runs: Run[] = [];
          for await (const run of client.all(page)) runs.push(run);
          return runs;
        };
        const render = (runs: Run[]) =>
          runs.length === 0
            ? 'No runs yet. Start one with: jobsctl run <job>'
            : table(
                ['run', 'job', 'status', 'trigger', 'attempt', 'created', 'duration', 'exit', 'queue'],
                runs.map((run) => [
                  run.id,
                  run.job_id,
                  status(run.status),
                  run.trigger,
                  String(run.attempt),
                  ago(run.created_at),
                  duration(run.duration_ms),
                  run.exit_code === null ? '-' : String(run.exit_code),
                  queued(run),
                ]),
              );
        if (!options.watch) {
          const runs = await read();
          return formatOf(command) === 'json' ? printJson(runs) : console.log(render(runs));
        }
        process.once('SIGINT', () => process.exit(0));
        let shown = '';
        for (;;) {
          const runs = await read();
          const text = formatOf(command) === 'json' ? JSON.stringify(runs) : render(runs);
          if (text !== shown) {
            // On a terminal the table is redrawn in place; elsewhere each change is printed after the last.
            if (process.stdout.isTTY) process.stdout.write('\u001b[2J\u001b[H');
            process.stdout.write(`${text}\n`);
            shown = text;
          }
          // While runs are active, wait until they change (or 2 s pass, for new runs); otherwise look every 2 s.
          const active = runs.filter(isActive).map((run) => run.id);
          if (active.length > 0) await client.statuses(active, 2);
          else await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      },
    );

  program
    .command('cancel')
    .description('Stop a pending or running run')
    .argument('<run>', 'run id')
    .option('--force', 'kill at once (SIGKILL) instead of SIGTERM and a grace period')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL (default 30)', seconds)
    .addHelpText('after', '\nExample:\n  jobsctl cancel run_01JD6R0G2M4S8V1X3Z5B7D9F1H --grace 5')
    .action(async (runId: string, options: { force?: boolean; grace?: number }, command: Command) => {
      const client = clientOf(command);
      const run = await findRun(client, runId);
      const cancelled = await client.cancel(run.job_id, run.id, {
        mode: options.force ? 'force' : 'graceful',
        ...(options.grace !== undefined ? { timeout_seconds: options.grace } : {}),
      });
      if (formatOf(command) === 'json') return printJson(cancelled);
      console.log(`run/${cancelled.id} ${status(cancelled.status)}`);
    });

  program
    .command('rerun')
    .description('Start a new run of the same job with the same overrides')
    .argument('<run>', 'run id')
    .addHelpText('after', '\nExample:\n  jobsctl rerun run_01JD6R0G2M4S8V1X3Z5B7D9F1H')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const client = clientOf(command);
      const run = await findRun(client, runId);
      const next = await client.rerun(run.job_id, run.id);
      if (formatOf(command) === 'json') return printJson(next);
      console.log(`run/${next.id} ${status(next.status)}`);
    });

  program
    .command('backfill')
    .description('Run a job once for each fire of its schedule in [start, end), oldest first')
    .argument('<job>', 'name or id')
    .requiredOption('--start <time>', 'the first time of the range, ISO-8601 (e.g. 2026-11-01T00:00:00Z)')
    .requiredOption('--end <time>', 'the end of the range (excluded)')
    .option('--max-runs <n>', 'refuse a range with more fires than this (default 100, at most 1000)', (v) => Number(v))
    .option('--dry-run', 'list the fire times only')
    .addHelpText(
      'after',
      '\nExample:\n  jobsctl backfill nightly --start 2026-11-01T00:00:00Z --end 2026-11-08T00:00:00Z --dry-run',
    )
    .action(
      async (
        name: string,
        options: { start: string; end: string; maxRuns?: number; dryRun?: boolean },
        command: Command,
      ) => {
        const client = clientOf(command);
        const job = await findJob(client, name);
        const result = await client.backfill(
          job.id,
          {
            start: options.start,
            end: options.end,
            ...(options.maxRuns !== undefined ? { max_runs: options.maxRuns } : {}),
          },
          { dryRun: Boolean(options.dryRun) },
        );
        if (formatOf(command) === 'json') return printJson(result);
        if (options.dryRun) {
          for (const fire of result.fires) console.log(fire);
          console.log(
            `${result.fires.length} fire${result.fires.length === 1 ? '' : 's'}; nothing was run (--dry-run)`,
          );
          return;
        }
        for (const run of result.runs) console.log(`run/${run.id} ${status(run.status)} for ${run.scheduled_for}`);
      },
    );
}
