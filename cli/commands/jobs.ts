import type { Command } from 'commander';
import { RUN_STATUSES, type Job } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { ago, colors, duration, printJson, status, table } from '../output.ts';
import { findJob } from '../resolve.ts';

export function registerJobCommands(program: Command): void {
  program
    .command('list')
    .description("The project's jobs")
    .option('--tag <key:value...>', 'only jobs with these tags')
    .option('--all', 'every page, not only the first 100 jobs')
    .addHelpText('after', '\nExample:\n  jobsctl list --tag team:data')
    .action(async (options: { tag?: string[]; all?: boolean }, command: Command) => {
      const client = clientOf(command);
      const list = (cursor: string | undefined) =>
        client.listJobs({ limit: 100, cursor, ...(options.tag ? { tag: options.tag } : {}) });
      const jobs: Job[] = [];
      if (options.all) for await (const job of client.all(list)) jobs.push(job);
      else jobs.push(...(await list(undefined)).items);
      if (formatOf(command) === 'json') return printJson(jobs);
      if (jobs.length === 0) return console.log('No jobs yet. Create one with: jobsctl apply -f job.yaml');
      console.log(
        table(
          ['name', 'id', 'schedule', 'image', 'created'],
          jobs.map((job) => [
            job.name,
            job.id,
            job.schedule
              ? `${job.schedule} ${job.timezone}${job.suspended ? ` ${colors.yellow('(suspended)')}` : ''}`
              : '-',
            job.image,
            ago(job.created_at),
          ]),
        ),
      );
    });

  program
    .command('get')
    .description("A job's spec")
    .argument('<job>', 'name or id')
    .addHelpText('after', '\nExample:\n  jobsctl get nightly-report -o json')
    .action(async (name: string, _options: unknown, command: Command) => {
      const job = await findJob(clientOf(command), name);
      if (formatOf(command) === 'json') return printJson(job);
      const { stringify } = await import('yaml');
      process.stdout.write(stringify(job));
    });

  program
    .command('delete')
    .description('Delete a job: its runs in flight are cancelled, its runs, logs and schedule removed')
    .argument('<job>', 'name or id')
    .addHelpText('after', '\nExample:\n  jobsctl delete nightly-report')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = clientOf(command);
      const job = await findJob(client, name);
      await client.deleteJob(job.id);
      if (formatOf(command) === 'json') return printJson({ id: job.id, deleted: true });
      console.log(`job/${job.name} deleted`);
    });

  for (const [verb, suspended] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    program
      .command(verb)
      .description(suspended ? "Pause a job's schedule" : "Resume a job's schedule")
      .argument('<job>', 'name or id')
      .addHelpText('after', `\nExample:\n  jobs ${verb} nightly-report`)
      .action(async (name: string, _options: unknown, command: Command) => {
        const client = clientOf(command);
        const job = await client.patchJob((await findJob(client, name)).id, { suspended });
        if (formatOf(command) === 'json') return printJson(job);
        console.log(`job/${job.name} ${suspended ? 'suspended' : 'resumed'}`);
      });
  }

  program
    .command('status')
    .description("A job's latest run, run counts and schedule")
    .argument('<job>', 'name or id')
    .addHelpText('after', '\nExample:\n  jobsctl status nightly-report')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = clientOf(command);
      const job = await findJob(client, name);
      const jobStatus = await client.jobStatus(job.id);
      if (formatOf(command) === 'json') return printJson(jobStatus);
      const { latest_run: latest, counts, schedule } = jobStatus;
      console.log(`job/${job.name} (${job.id})`);
      console.log(
        `latest run: ${latest ? `${latest.id} ${status(latest.status)} ${ago(latest.created_at)}` : 'none yet'}`,
      );
      console.log(`runs: ${RUN_STATUSES.map((s) => `${counts[s]} ${s}`).join(', ')} (${counts.total} in all)`);
      const { health } = jobStatus;
      const rate =
        health.success_rate === null ? 'no outcome yet' : `${Math.round(health.success_rate * 100)}% succeeded`;
      const streak =
        health.consecutive_failures > 0 ? `, ${colors.red(`${health.consecutive_failures} failed in a row`)}` : '';
      console.log(
        `health (${health.window_days} d): ${health.runs} runs, ${rate}, p50 ${duration(health.duration_ms.p50)}, p95 ${duration(health.duration_ms.p95)}, last success ${health.last_success_at ? ago(health.last_success_at) : 'never'}${streak}`,
      );
      const suspended = schedule?.suspended
        ? ` ${colors.yellow(`(suspended${schedule.suspended_reason ? `: ${schedule.suspended_reason}` : ''})`)}`
        : '';
      console.log(
        schedule
          ? `schedule: ${schedule.cron} ${schedule.timezone}${suspended}, next fire ${schedule.next_fire_at ?? '-'}${schedule.last_missed_at ? `, last missed fire ${schedule.last_missed_at}` : ''}`
          : 'schedule: none (on demand)',
      );
      const alerts = Object.entries(job.alerts);
      console.log(
        `alerts: ${alerts.length > 0 ? alerts.map(([rule, value]) => `${rule} ${value}`).join(', ') : 'none'}`,
      );
    });
}
