// Jobs as code: plan (what an apply would change, field by field; exit 0 when nothing, 2 when something), apply
// (with the plan's revisions as If-Match, --prune for jobs gone from the files, a confirmation on a terminal),
// export (a project's jobs as files apply accepts) and schema (the job file's JSON Schema, for editors).
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ApiError, JobsClient, type Job } from '../../client/jobs-client.ts';
import { jobFileJsonSchema } from '../../client/job-files.ts';
import { formatOf, globals } from '../context.ts';
import {
  applyPlan,
  changesAnything,
  exportedJob,
  plan,
  planLines,
  readJobFiles,
  type PlannedChange,
  type ProjectRef,
} from '../gitops.ts';
import { colors, printJson } from '../output.ts';
import { resolveSettings } from '../settings.ts';

const SIGN_COLOR = { '+': colors.green, '-': colors.red, '~': colors.yellow } as const;

/** Exit status of a plan that would change something (as `terraform plan -detailed-exitcode`). */
export const EXIT_CHANGES = 2;

function clients(command: Command): (where: ProjectRef) => JobsClient {
  const settings = resolveSettings({ ...globals(command), workspace: undefined, project: undefined });
  return (where) => new JobsClient({ ...settings, workspace: where.workspace, project: where.project });
}

async function planned(paths: string[], options: { prune?: boolean }, command: Command) {
  const { workspace, project } = globals(command);
  const settings = resolveSettings(globals(command));
  const files = await readJobFiles(paths, {
    workspace: workspace ?? settings.workspace,
    project: project ?? settings.project,
  });
  return plan(files, clients(command), { prune: Boolean(options.prune) });
}

/** A plan saved by `plan --out`: applied as it is, with the revisions it read. */
function savedPlan(file: string): PlannedChange[] {
  let saved: { saved_plan?: number; changes?: PlannedChange[] };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ApiError(0, `cannot read the plan ${file}: ${(error as Error).message}`, [
      { field: 'plan', message: 'is not a saved plan' },
    ]);
  }
  if (saved.saved_plan !== 1 || !Array.isArray(saved.changes))
    throw new ApiError(0, `${file} is not a plan saved by jobsctl plan --out`, [
      { field: 'plan', message: 'is not a saved plan' },
    ]);
  return saved.changes;
}

async function confirmed(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

export function registerGitOpsCommands(program: Command): void {
  program
    .command('plan')
    .description('What an apply of these job files would change, field by field (exit 0: nothing, 2: something)')
    .requiredOption('-f, --file <path...>', 'job files, or folders of them (YAML or JSON)')
    .option('--prune', 'also the deletes of managed jobs missing from the files')
    .option('--out <file>', 'save the plan, for `jobsctl apply --plan <file>` to apply exactly it')
    .addHelpText('after', '\nExample:\n  jobsctl plan -f jobs/ --prune\n  jobsctl plan -f jobs/ --out plan.json')
    .action(async (options: { file: string[]; prune?: boolean; out?: string }, command: Command) => {
      const changes = await planned(options.file, options, command);
      if (options.out) writeFileSync(options.out, `${JSON.stringify({ saved_plan: 1, changes }, null, 2)}\n`);
      if (formatOf(command) === 'json')
        printJson(
          changes.map(({ kind, where, name, ...rest }) => ({
            kind,
            ...where,
            name,
            changes: 'changes' in rest ? rest.changes : [],
          })),
        );
      else console.log(planLines(changes, SIGN_COLOR).join('\n'));
      if (changesAnything(changes)) process.exitCode = EXIT_CHANGES;
    });

  program
    .command('apply')
    .description(
      'Create or update the jobs of these files to match them; with --prune, delete managed jobs missing from them',
    )
    .option('-f, --file <path...>', 'job files, or folders of them (YAML or JSON; "-" reads stdin)')
    .option('--plan <file>', 'apply a plan saved by `jobsctl plan --out`, exactly as it was reviewed')
    .option('--prune', 'delete jobs of the targeted projects tagged managed-by: jobsctl that no file names')
    .option('-y, --yes', 'apply without asking (needed for deletes when not on a terminal)')
    .addHelpText(
      'after',
      '\nExample:\n  jobsctl apply -f nightly.yaml\n  jobsctl apply -f jobs/ --prune --yes\n  jobsctl apply --plan plan.json',
    )
    .action(async (options: { file?: string[]; plan?: string; prune?: boolean; yes?: boolean }, command: Command) => {
      if (Boolean(options.file) === Boolean(options.plan))
        throw new ApiError(0, 'give either -f with job files or --plan with a saved plan', [
          { field: 'file', message: 'give -f or --plan' },
        ]);
      const changes = options.plan ? savedPlan(options.plan) : await planned(options.file!, options, command);
      const json = formatOf(command) === 'json';
      if (!json) console.log(planLines(changes, SIGN_COLOR).join('\n'));
      if (!changesAnything(changes)) {
        if (json) printJson([]);
        return;
      }
      const deletes = changes.filter((c) => c.kind === 'delete').length;
      if (!options.yes) {
        if (process.stdin.isTTY) {
          if (!(await confirmed('Apply these changes?'))) {
            console.error('nothing applied');
            process.exitCode = 1;
            return;
          }
        } else if (deletes > 0) {
          console.error(
            `the plan deletes ${deletes} job${deletes === 1 ? '' : 's'}: pass --yes to apply it without a terminal`,
          );
          process.exitCode = 2;
          return;
        }
      }
      const applied: Array<{ kind: string; name: string; job: Job | null }> = [];
      await applyPlan(changes, clients(command), (change, job) => {
        applied.push({ kind: change.kind, name: change.name, job });
        if (!json)
          console.log(
            `job/${change.name} ${{ create: 'created', update: 'updated', delete: 'deleted', unchanged: 'unchanged' }[change.kind]}`,
          );
      });
      if (json) printJson(applied);
    });

  program
    .command('export')
    .description("The project's jobs as job files apply accepts (a plan of them changes nothing)")
    .addHelpText('after', '\nExample:\n  jobsctl export > jobs.yaml\n  jobsctl export -o json > jobs.json')
    .action(async (_options: unknown, command: Command) => {
      const settings = resolveSettings(globals(command));
      const client = new JobsClient(settings);
      const documents: Array<Record<string, unknown>> = [];
      for await (const job of client.all((cursor) => client.listJobs({ limit: 100, cursor })))
        documents.push(exportedJob(job));
      if (formatOf(command) === 'json') return printJson(documents);
      const { stringify } = await import('yaml');
      process.stdout.write(documents.map((document) => stringify(document)).join('---\n'));
    });

  program
    .command('schema')
    .description("The job file's JSON Schema (for editors: # yaml-language-server: $schema=<file>)")
    .addHelpText('after', '\nExample:\n  jobsctl schema > job.schema.json')
    .action(() => printJson(jobFileJsonSchema()));
}
