// `jobsctl webhooks create|list|enable|disable|rotate-secret|delete|test|deliveries|redeliver`: the project's event
// subscriptions and what was delivered to them.
import { Option, type Command } from 'commander';
import type { Delivery, Webhook } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { ago, colors, printJson, status, table } from '../output.ts';
import { findJob } from '../resolve.ts';

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description("The project's webhooks (a writer key is needed)");
  webhooks
    .command('create')
    .description('Subscribe a URL to events; its signing secret is shown once')
    .argument('<url>', 'https URL (local mode: http to this machine too)')
    .requiredOption(
      '--events <type...>',
      'run.started run.retrying run.succeeded run.failed run.cancelled schedule.skipped',
    )
    .option('--job <job>', "only this job's events (name or id)")
    .option('--description <text>')
    .addHelpText(
      'after',
      '\nExample:\n  jobsctl webhooks create https://hooks.example.com/jobs --events run.failed schedule.skipped',
    )
    .action(
      async (url: string, options: { events: string[]; job?: string; description?: string }, command: Command) => {
        const client = clientOf(command);
        const jobId = options.job ? (await findJob(client, options.job)).id : undefined;
        const created = await client.createWebhook({
          url,
          events: options.events as Webhook['events'],
          ...(jobId ? { job_id: jobId } : {}),
          ...(options.description ? { description: options.description } : {}),
        });
        if (formatOf(command) === 'json') return printJson(created);
        console.log(`webhook/${created.id} created; its signing secret, shown only now:\n${created.secret}`);
      },
    );
  webhooks
    .command('list')
    .description('Every webhook of the project, without secrets')
    .addHelpText('after', '\nExample:\n  jobsctl webhooks list -o json')
    .action(async (_options: unknown, command: Command) => {
      const client = clientOf(command);
      const all: Webhook[] = [];
      for await (const webhook of client.all((cursor) => client.listWebhooks({ limit: 100, cursor })))
        all.push(webhook);
      if (formatOf(command) === 'json') return printJson(all);
      if (all.length === 0)
        return console.log('No webhooks yet. Create one with: jobsctl webhooks create <url> --events run.failed');
      console.log(
        table(
          ['id', 'url', 'events', 'job', 'enabled', 'created'],
          all.map((w) => [
            w.id,
            w.url,
            w.events.join(','),
            w.job_id ?? '*',
            w.enabled ? 'yes' : colors.yellow(`no${w.disabled_reason ? ` (${w.disabled_reason})` : ''}`),
            ago(w.created_at),
          ]),
        ),
      );
    });
  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    webhooks
      .command(verb)
      .description(enabled ? 'Deliver to it again' : 'Stop delivering to it, keeping it')
      .argument('<webhook-id>')
      .addHelpText('after', `\nExample:\n  jobsctl webhooks ${verb} wh_01JD6T0G2M4S8V1X3Z5B7D9F1H`)
      .action(async (id: string, _options: unknown, command: Command) => {
        const webhook = await clientOf(command).patchWebhook(id, { enabled });
        if (formatOf(command) === 'json') return printJson(webhook);
        console.log(`webhook/${webhook.id} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }
  webhooks
    .command('rotate-secret')
    .description('A new signing secret (shown once); the old one keeps signing beside it for 24 h')
    .argument('<webhook-id>')
    .addHelpText('after', '\nExample:\n  jobsctl webhooks rotate-secret wh_01JD6T0G2M4S8V1X3Z5B7D9F1H')
    .action(async (id: string, _options: unknown, command: Command) => {
      const rotated = await clientOf(command).rotateWebhookSecret(id);
      if (formatOf(command) === 'json') return printJson(rotated);
      console.log(`webhook/${rotated.id}: its new signing secret, shown only now:\n${rotated.secret}`);
    });
  webhooks
    .command('delete')
    .description('Delete a webhook: nothing is delivered to it after this')
    .argument('<webhook-id>')
    .addHelpText('after', '\nExample:\n  jobsctl webhooks delete wh_01JD6T0G2M4S8V1X3Z5B7D9F1H')
    .action(async (id: string, _options: unknown, command: Command) => {
      await clientOf(command).deleteWebhook(id);
      if (formatOf(command) === 'json') return printJson({ id, deleted: true });
      console.log(`webhook/${id} deleted`);
    });
  webhooks
    .command('test')
    .description('Send a webhook.test event to it now')
    .argument('<webhook-id>')
    .addHelpText('after', '\nExample:\n  jobsctl webhooks test wh_01JD6T0G2M4S8V1X3Z5B7D9F1H')
    .action(async (id: string, _options: unknown, command: Command) => {
      const delivery = await clientOf(command).testWebhook(id);
      if (formatOf(command) === 'json') return printJson(delivery);
      console.log(`delivery/${delivery.id} ${delivery.status}; follow it with: jobsctl webhooks deliveries ${id}`);
    });
  webhooks
    .command('deliveries')
    .description("A webhook's deliveries, newest first")
    .argument('<webhook-id>')
    .addOption(
      new Option('-s, --status <status>', 'only deliveries in this status').choices(['pending', 'succeeded', 'failed']),
    )
    .addHelpText('after', '\nExample:\n  jobsctl webhooks deliveries wh_01JD6T0G2M4S8V1X3Z5B7D9F1H --status failed')
    .action(async (id: string, options: { status?: Delivery['status'] }, command: Command) => {
      const deliveries = (
        await clientOf(command).listDeliveries(id, {
          limit: 100,
          ...(options.status ? { status: options.status } : {}),
        })
      ).items;
      if (formatOf(command) === 'json') return printJson(deliveries);
      if (deliveries.length === 0)
        return console.log('No deliveries yet. Send one with: jobsctl webhooks test <webhook-id>');
      console.log(
        table(
          ['delivery', 'event', 'status', 'attempts', 'last answer', 'next attempt', 'created'],
          deliveries.map((d) => [
            d.id,
            d.event_type,
            status(d.status),
            String(d.attempts),
            d.last_status_code === null ? (d.last_error ?? '-') : String(d.last_status_code),
            d.next_attempt_at ?? '-',
            ago(d.created_at),
          ]),
        ),
      );
    });
  webhooks
    .command('redeliver')
    .description('Try a delivery again now')
    .argument('<webhook-id>')
    .argument('<delivery-id>')
    .addHelpText(
      'after',
      '\nExample:\n  jobsctl webhooks redeliver wh_01JD6T0G2M4S8V1X3Z5B7D9F1H dlv_01JD6R0G2M4S8V1X3Z5B7D9F1K',
    )
    .action(async (id: string, deliveryId: string, _options: unknown, command: Command) => {
      const delivery = await clientOf(command).redeliver(id, deliveryId);
      if (formatOf(command) === 'json') return printJson(delivery);
      console.log(`delivery/${delivery.id} ${delivery.status}`);
    });
}
