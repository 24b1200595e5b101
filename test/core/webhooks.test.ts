// WebhookService against DynamoDB Local: create (the secret shown once, the destination and job checked), read
// without secrets, patch, rotate with a day's overlap, delete, and at most 20 per project.
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../functions/core/errors.ts';
import { signingSecrets, webhookRef, ROTATION_OVERLAP_MS } from '../../functions/core/webhooks.ts';
import { DynamoWebhookStore } from '../../functions/adapters/dynamodb/webhook-store.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('webhooks', { allowPrivate: false, resolve: async () => ['93.184.216.34'] });
const project = { workspace_id: 'acme', project_id: 'hooks' };

describe('WebhookService', () => {
  it('creates a webhook with a whsec_ secret, reads it without one, patches and deletes it', async () => {
    const webhooks = t.core.services.webhooks();
    const { webhook, secret } = await webhooks.create(project, {
      url: 'https://hooks.example.com/a',
      events: ['run.failed', 'run.failed', 'schedule.skipped'],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(webhook).toMatchObject({
      ...project,
      url: 'https://hooks.example.com/a',
      events: ['run.failed', 'schedule.skipped'],
      job_id: null,
      enabled: true,
      disabled_reason: null,
    });
    expect(webhook.id).toMatch(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/);
    const ref = webhookRef(webhook);
    expect(await webhooks.get(ref)).toEqual(webhook);
    expect(JSON.stringify(await webhooks.list(project, { limit: 20 }))).not.toContain('whsec_');
    const patched = await webhooks.patch(ref, { enabled: false, events: ['run.succeeded'] });
    expect(patched).toMatchObject({ enabled: false, events: ['run.succeeded'], url: webhook.url });
    await webhooks.delete(ref);
    await expect(webhooks.get(ref)).rejects.toBeInstanceOf(NotFoundError);
    await expect(webhooks.delete(ref)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a private destination and a job of another project, naming the field, and writes nothing', async () => {
    const webhooks = t.core.services.webhooks();
    const before = (await webhooks.list(project, { limit: 100 })).items.length;
    await expect(
      webhooks.create(project, { url: 'https://169.254.169.254/latest', events: ['run.failed'] }),
    ).rejects.toMatchObject({ errors: [{ field: 'url' }] });
    const elsewhere = await t.core.services
      .jobs()
      .create(
        { workspace_id: 'acme', project_id: 'other' },
        { name: 'theirs', image: 'alpine', command: ['true'] },
        TEST_ACTOR,
      );
    await expect(
      webhooks.create(project, { url: 'https://hooks.example.com/b', events: ['run.failed'], job_id: elsewhere.id }),
    ).rejects.toMatchObject({ errors: [{ field: 'job_id' }] });
    await expect(
      webhooks.create(project, { url: 'https://hooks.example.com/b', events: ['run.failed'], job_id: elsewhere.id }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await webhooks.list(project, { limit: 100 })).items.length).toBe(before);
  });

  it('rotates the secret: the new one signs, and the old one beside it for a day', async () => {
    const webhooks = t.core.services.webhooks();
    const { webhook, secret: first } = await webhooks.create(project, {
      url: 'https://hooks.example.com/c',
      events: ['run.failed'],
    });
    const { secret: second } = await webhooks.rotateSecret(webhookRef(webhook));
    expect(second).not.toBe(first);
    const stored = (await new DynamoWebhookStore(t.core.runStore.table).get(webhookRef(webhook)))!;
    const now = new Date();
    expect(signingSecrets(stored.secrets, now)).toEqual([second, first]);
    expect(signingSecrets(stored.secrets, new Date(now.getTime() + ROTATION_OVERLAP_MS + 1000))).toEqual([second]);
  });

  it('holds a project to 20 webhooks, also when they are created at once', async () => {
    const webhooks = t.core.services.webhooks();
    const crowded = { workspace_id: 'acme', project_id: 'crowded' };
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) =>
        webhooks.create(crowded, { url: `https://hooks.example.com/${i}`, events: ['run.failed'] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    for (const refused of results.filter((r) => r.status === 'rejected'))
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ name: 'ConflictError', field: 'project_id' });
    expect((await webhooks.list(crowded, { limit: 100 })).items).toHaveLength(20);
    // A delete frees a place.
    const one = (await webhooks.list(crowded, { limit: 1 })).items[0]!;
    await webhooks.delete(webhookRef(one));
    await expect(
      webhooks.create(crowded, { url: 'https://hooks.example.com/again', events: ['run.failed'] }),
    ).resolves.toBeDefined();
  });
});
