// `jobsctl` (also installed as `jobs`): the command-line client of the jobs service, over its public API only.
// Usage errors exit 2 with the command's help; API errors print the API's message (and field) and exit 1.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiError } from '../client/jobs-client.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerGitOpsCommands } from './commands/gitops.ts';
import { registerRevisionCommands } from './commands/revisions.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerLogCommands } from './commands/logs.ts';
import { registerRunCommands } from './commands/runs.ts';
import { registerSecretCommands } from './commands/secrets.ts';
import { registerSettingsCommands } from './commands/settings.ts';
import { registerWebhookCommands } from './commands/webhooks.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('jobsctl')
    .description('Define container jobs, run them on demand or on schedule, follow their runs and logs.')
    .version(version)
    .option('--url <url>', 'the service (default: JOBS_URL, then `jobsctl login`, then http://127.0.0.1:8080)')
    .option('--key <key>', 'an API key (default: JOBS_KEY, then `jobsctl login`)')
    .option('--workspace <id>', 'the workspace (default: JOBS_WORKSPACE, then `jobsctl login`)')
    .option('--project <id>', 'the project (default: JOBS_PROJECT, then `jobsctl login`)')
    .addOption(
      new Option('-o, --output <format>', "table for people, json (the API's data) for scripts")
        .choices(['table', 'json'])
        .default('table'),
    )
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExample:\n  export JOBS_WORKSPACE=acme JOBS_PROJECT=etl\n  jobsctl apply -f job.yaml && jobsctl run nightly-report --follow',
    );
  registerGitOpsCommands(program);
  registerJobCommands(program);
  registerRevisionCommands(program);
  registerAuditCommands(program);
  registerRunCommands(program);
  registerLogCommands(program);
  registerKeyCommands(program);
  registerWebhookCommands(program);
  registerSecretCommands(program);
  registerSettingsCommands(program);
  // Every command, however deep, exits through one place.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not errors; anything else commander refuses is a usage error.
      return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? 0 : 2;
    }
    if (error instanceof ApiError) {
      const fields = error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n');
      process.stderr.write(
        `error: ${error.message}${fields && !error.errors.every((e) => error.message.includes(e.field)) ? `\n${fields}` : ''}\n`,
      );
      return 1;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
