// `jobsctl keys create|list|revoke` (an admin key's business) and `jobsctl login`.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ApiError, JobsClient, type Key } from '../../client/jobs-client.ts';
import { clientOf, formatOf, globals } from '../context.ts';
import { ago, printJson, table } from '../output.ts';
import { resolveSettings, saveSettings } from '../settings.ts';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys (an admin key is needed)');
  keys
    .command('create')
    .description('Create a key; its secret is shown once')
    .argument('<name>', 'what the key is for')
    .addOption(
      new Option('--role <role>', 'what it may do').choices(['admin', 'writer', 'reader']).makeOptionMandatory(),
    )
    .option('--workspace-access <workspace...>', 'the workspaces a writer or reader key may touch')
    .addHelpText('after', '\nExample:\n  jobsctl keys create ci --role writer --workspace-access acme')
    .action(
      async (
        name: string,
        options: { role: 'admin' | 'writer' | 'reader'; workspaceAccess?: string[] },
        command: Command,
      ) => {
        const body =
          options.role === 'admin'
            ? { name, role: options.role }
            : { name, role: options.role, workspaces: options.workspaceAccess ?? [] };
        const created = await clientOf(command).createKey(body as Parameters<JobsClient['createKey']>[0]);
        if (formatOf(command) === 'json') return printJson(created);
        console.log(`key/${created.id} created; its secret, shown only now:\n${created.secret}`);
      },
    );
  keys
    .command('list')
    .description('Every key, without secrets')
    .addHelpText('after', '\nExample:\n  jobsctl keys list -o json')
    .action(async (_options: unknown, command: Command) => {
      const client = clientOf(command);
      const all: Key[] = [];
      for await (const key of client.all((cursor) => client.listKeys({ limit: 100, cursor }))) all.push(key);
      if (formatOf(command) === 'json') return printJson(all);
      console.log(
        table(
          ['id', 'name', 'role', 'workspaces', 'created'],
          all.map((key) => [key.id, key.name, key.role, key.workspaces?.join(',') || '*', ago(key.created_at)]),
        ),
      );
    });
  keys
    .command('revoke')
    .description('Revoke a key at once')
    .argument('<key-id>')
    .addHelpText('after', '\nExample:\n  jobsctl keys revoke key_01JD6S0G2M4S8V1X3Z5B7D9F1H')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      await clientOf(command).revokeKey(keyId);
      if (formatOf(command) === 'json') return printJson({ id: keyId, revoked: true });
      console.log(`key/${keyId} revoked`);
    });

  program
    .command('login')
    .description('Check and save the service URL, key, workspace and project for later commands')
    .option('--key-file <file>', "read the key from a file (local mode: the data dir's admin-key)")
    .addHelpText(
      'after',
      '\nExamples:\n  jobsctl login --url http://127.0.0.1:8080 --key-file .jobs-local/admin-key --workspace acme --project etl\n  jobsctl login --url https://jobs.example.com --key "$KEY"',
    )
    .action(async (options: { keyFile?: string }, command: Command) => {
      const flags = globals(command);
      const key = options.keyFile ? readFileSync(options.keyFile, 'utf8').trim() : flags.key;
      const settings = resolveSettings({ ...flags, key });
      if (!settings.key)
        throw new ApiError(0, 'no key: pass --key or --key-file', [{ field: 'key', message: 'is required' }]);
      const client = new JobsClient(settings);
      await client.health();
      // The key is checked where it is meant to be used: the project if one is given.
      if (settings.workspace && settings.project) await client.listJobs({ limit: 1 });
      const file = saveSettings(settings);
      if (formatOf(command) === 'json')
        return printJson({
          url: settings.url,
          workspace: settings.workspace ?? null,
          project: settings.project ?? null,
          config: file,
        });
      console.log(
        `logged in to ${settings.url}${settings.workspace ? ` (${settings.workspace}/${settings.project ?? '-'})` : ''}; saved in ${file}`,
      );
    });
}
