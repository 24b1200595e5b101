// `jobsctl settings get|set [--workspace-level]`: the project's settings (limits, weight), or its workspace's
// (limits, task roles, linkable secrets; admins set them). `set` replaces them whole from a YAML or JSON file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clientOf, formatOf } from '../context.ts';
import { printJson } from '../output.ts';

export function registerSettingsCommands(program: Command): void {
  const settings = program
    .command('settings')
    .description("The project's settings, or with --workspace-level its workspace's");
  settings
    .command('get')
    .description('Show the settings (the defaults until set)')
    .option('--workspace-level', "the workspace's settings instead of the project's")
    .addHelpText('after', '\nExamples:\n  jobsctl settings get\n  jobsctl settings get --workspace-level -o json')
    .action(async (options: { workspaceLevel?: boolean }, command: Command) => {
      const client = clientOf(command);
      const shown = options.workspaceLevel ? await client.workspaceSettings() : await client.projectSettings();
      if (formatOf(command) === 'json') return printJson(shown);
      const { stringify } = await import('yaml');
      process.stdout.write(stringify(shown));
    });
  settings
    .command('set')
    .description('Replace the settings with those of a file (an omitted field takes its default)')
    .requiredOption('-f, --file <path>', 'YAML or JSON; - reads standard input')
    .option('--workspace-level', "the workspace's settings (an admin key is needed)")
    .addHelpText(
      'after',
      '\nExamples:\n  echo "limits: {running_tasks: 10}\\nweight: 2" | jobsctl settings set -f -\n' +
        '  jobsctl settings set --workspace-level -f workspace.yaml',
    )
    .action(async (options: { file: string; workspaceLevel?: boolean }, command: Command) => {
      const { parse } = await import('yaml'); // YAML is a superset of JSON: one parser reads both
      const body = parse(readFileSync(options.file === '-' ? 0 : options.file, 'utf8')) ?? {};
      const client = clientOf(command);
      const saved = options.workspaceLevel
        ? await client.putWorkspaceSettings(body)
        : await client.putProjectSettings(body);
      if (formatOf(command) === 'json') return printJson(saved);
      console.log(`${options.workspaceLevel ? 'workspace' : 'project'} settings set`);
    });
}
