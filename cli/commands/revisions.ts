// A job's history and its undo: `history` lists its revisions (with -p, what each changed), `revert` makes an
// earlier revision's spec the job's again, only if the job is still as it was read.
import type { Command } from 'commander';
import { specChanges, type JobRevision } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { diffLines } from '../diff.ts';
import { ago, colors, printJson, table } from '../output.ts';
import { findJob } from '../resolve.ts';

export function registerRevisionCommands(program: Command): void {
  program
    .command('history')
    .description("A job's revisions, newest first: when, by which key, and which fields changed")
    .argument('<job>', 'name or id')
    .option('-p, --patch', 'what each revision changed, field by field')
    .option('--limit <n>', 'at most this many revisions', (value) => Number(value), 20)
    .addHelpText('after', '\nExample:\n  jobsctl history nightly-report -p')
    .action(async (name: string, options: { patch?: boolean; limit: number }, command: Command) => {
      const client = clientOf(command);
      const job = await findJob(client, name);
      const revisions: JobRevision[] = [];
      // One more than shown: the oldest shown is compared with the one before it.
      const list = (cursor: string | undefined) => client.listJobRevisions(job.id, { limit: 100, cursor });
      for await (const revision of client.all(list)) {
        revisions.push(revision);
        if (revisions.length > options.limit) break;
      }
      const shown = revisions.slice(0, options.limit);
      if (formatOf(command) === 'json') return printJson(shown);
      const changesOf = (i: number) => {
        const before = revisions[i + 1];
        return before ? specChanges(before.spec, revisions[i]!.spec) : null;
      };
      const by = (revision: JobRevision) => `${revision.actor.key_name} (${revision.actor.key_id})`;
      if (!options.patch) {
        console.log(
          table(
            ['revision', 'made', 'by', 'changed'],
            shown.map((revision, i) => {
              const changes = changesOf(i);
              const fields = changes ? [...new Set(changes.map((c) => c.field.split('.')[0]))].join(', ') : '';
              return [
                String(revision.revision),
                ago(revision.created_at),
                by(revision),
                changes ? fields : '(created)',
              ];
            }),
          ),
        );
        return;
      }
      shown.forEach((revision, i) => {
        if (i > 0) console.log('');
        console.log(`${colors.bold(`revision ${revision.revision}`)}  ${revision.created_at}  by ${by(revision)}`);
        const changes = changesOf(i);
        if (changes === null)
          console.log(revision.revision === 1 ? '  (created)' : '  (the revisions before it are no longer kept)');
        else for (const line of diffLines(changes)) console.log(`  ${line}`);
      });
    });

  program
    .command('revert')
    .description("Make an earlier revision's spec the job's again, as a new revision")
    .argument('<job>', 'name or id')
    .argument('<revision>', 'the revision number to go back to', (value) => Number(value))
    .addHelpText('after', '\nExample:\n  jobsctl history nightly-report\n  jobsctl revert nightly-report 3')
    .action(async (name: string, revision: number, _options: unknown, command: Command) => {
      const client = clientOf(command);
      const job = await findJob(client, name);
      // Made against the revision just read: a change made meanwhile stops it (412) instead of being undone.
      const reverted = await client.revertJob(job.id, revision, job.revision);
      if (formatOf(command) === 'json') return printJson(reverted);
      console.log(
        reverted.revision === job.revision
          ? `job/${job.name} already has revision ${revision}'s spec (revision ${job.revision})`
          : `job/${job.name} reverted to revision ${revision}'s spec: now revision ${reverted.revision}`,
      );
    });
}
