// `audit`: the changes made through the API in the workspace (or, with --service, the service's own: API keys),
// newest first: when, which action, by which key, on what, and which fields changed.
import type { Command } from 'commander';
import type { AuditEntry, AuditQuery } from '../../client/jobs-client.ts';
import { clientOf, formatOf, globals } from '../context.ts';
import { resolveSettings } from '../settings.ts';
import { ago, printJson, table } from '../output.ts';

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('Changes made through the API, newest first: who, which action, on what, which fields')
    .option('--since <duration>', 'only changes this recent (30s, 15m, 2h, 7d)')
    .option('--action <action>', 'only this action (job.update, run.cancel, secret.put, …)')
    .option('--key <key_id>', 'only changes made with this key')
    .option('--in-project', "only changes in the CLI's project")
    .option('--service', "the service's own changes (API keys) instead of the workspace's; admin keys only")
    .option('--limit <n>', 'at most this many entries', (value) => Number(value), 50)
    .addHelpText('after', '\nExample:\n  jobsctl audit --since 1d --action job.update')
    .action(
      async (
        options: {
          since?: string;
          action?: AuditEntry['action'];
          key?: string;
          inProject?: boolean;
          service?: boolean;
          limit: number;
        },
        command: Command,
      ) => {
        const client = clientOf(command);
        const query: AuditQuery = {
          since: options.since,
          action: options.action,
          key_id: options.key,
          limit: Math.min(100, options.limit),
        };
        const list = (cursor: string | undefined) =>
          options.service
            ? client.listServiceAudit({ ...query, cursor })
            : client.listWorkspaceAudit({
                ...query,
                cursor,
                project_id: options.inProject ? resolveSettings(globals(command)).project : undefined,
              });
        const entries: AuditEntry[] = [];
        for await (const entry of client.all(list)) {
          entries.push(entry);
          if (entries.length >= options.limit) break;
        }
        if (formatOf(command) === 'json') return printJson(entries);
        if (entries.length === 0) return console.log('No changes in this window.');
        console.log(
          table(
            ['when', 'action', 'by', 'target', 'changed'],
            entries.map((entry) => [
              ago(entry.time),
              entry.action,
              `${entry.actor.key_name} (${entry.actor.role})`,
              Object.values(entry.target).join(' '),
              Object.keys(entry.changes).join(', '),
            ]),
          ),
        );
      },
    );
}
