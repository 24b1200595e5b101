// `jobsctl logs RUN|JOB`: a run's lines, or a job's across its runs; with -f, followed as they are written.
import { Option, type Command } from 'commander';
import type { LogLine, LogPage, LogQuery } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { printJson } from '../output.ts';
import { findJob, findRun, isRunId } from '../resolve.ts';

/** A line as the program wrote it: stdout's to stdout, stderr's to stderr. */
export function printLine(line: LogLine): void {
  (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${line.message}\n`);
}

export function registerLogCommands(program: Command): void {
  program
    .command('logs')
    .description("A run's log lines, or a job's across its runs, oldest first")
    .argument('<run-or-job>', 'a run id, or a job name or id')
    .option('-f, --follow', 'keep printing lines as they are written (a run: until it has finished)')
    .option('--since <duration>', 'only lines of the last 30s, 15m, 2h, 7d …')
    .option('--filter <text>', 'only lines containing this text')
    .addOption(new Option('--stream <stream>', 'only this stream').choices(['stdout', 'stderr']))
    .option('--attempt <n>', 'only lines of this attempt', (text) => Number(text))
    .addHelpText(
      'after',
      '\nExamples:\n  jobsctl logs run_01JD6R0G2M4S8V1X3Z5B7D9F1H -f\n  jobsctl logs nightly-report --since 1h --filter ERROR',
    )
    .action(
      async (
        target: string,
        options: { follow?: boolean; since?: string; filter?: string; stream?: string; attempt?: number },
        command: Command,
      ) => {
        const client = clientOf(command);
        const query: LogQuery = {
          ...(options.since ? { since: options.since } : {}),
          ...(options.filter ? { filter: options.filter } : {}),
          ...(options.attempt ? { attempt: options.attempt } : {}),
        };
        const wanted = (line: LogLine) => !options.stream || line.stream === options.stream;
        const json = formatOf(command) === 'json';
        let read: (cursor: string | undefined) => Promise<LogPage>;
        let follow: () => AsyncGenerator<LogLine>;
        if (isRunId(target)) {
          const run = await findRun(client, target);
          read = (cursor) =>
            client.runLogs(run.job_id, run.id, { ...query, limit: 1000, ...(cursor ? { cursor } : {}) });
          follow = () => client.followRun(run.job_id, run.id, query);
        } else {
          const job = await findJob(client, target);
          read = (cursor) => client.jobLogs(job.id, { ...query, limit: 1000, ...(cursor ? { cursor } : {}) });
          follow = () => client.followJob(job.id, query);
        }
        if (options.follow) {
          process.once('SIGINT', () => process.exit(130));
          // Followed lines go out one JSON object a line, as they come.
          for await (const line of follow())
            if (wanted(line)) json ? process.stdout.write(`${JSON.stringify(line)}\n`) : printLine(line);
          return;
        }
        const lines: LogLine[] = [];
        // Page after page while the service says more may follow (a filtered read of a large log may answer a page
        // with few lines, even none, and more), until the run's log is complete.
        let page = await read(undefined);
        for (;;) {
          lines.push(...page.lines.filter(wanted));
          if (page.complete || !page.more) break;
          page = await read(page.next_cursor);
        }
        // The log says where output was dropped with a marker line; where that could not be written yet, say it here.
        if (page.truncated && !lines.some((line) => line.message.startsWith('[jobs] output')))
          process.stderr.write("jobsctl: this run's log is truncated: some of its output was not kept\n");
        if (json) return printJson(lines);
        for (const line of lines) printLine(line);
      },
    );
}
