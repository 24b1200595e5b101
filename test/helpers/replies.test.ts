// The tests' HTTP helper types each reply from the route table: checked by the compiler (`npm test` runs tsc
// first), so a wrong route match fails the suite before any request is made.
import { describe, expectTypeOf, it } from 'vitest';
import type {
  Job,
  JobStatus,
  LogLine,
  Run,
  RunStatuses,
  Webhook,
  WebhookWithSecret,
} from '../../client/jobs-client.ts';
import type { ReplyData } from './replies.ts';

type P = `/v1/workspaces/${string}/projects/${string}`;

describe('reply types', () => {
  it('takes the most specific route a path can be, its method and its list flag', () => {
    expectTypeOf<ReplyData<'GET', `${P}/jobs`>>().toEqualTypeOf<Job[]>();
    expectTypeOf<ReplyData<'POST', `${P}/jobs`>>().toEqualTypeOf<Job>();
    expectTypeOf<ReplyData<'GET', `${P}/jobs/${string}`>>().toEqualTypeOf<Job>();
    expectTypeOf<ReplyData<'GET', `${P}/jobs/${string}/status`>>().toEqualTypeOf<JobStatus>();
    expectTypeOf<ReplyData<'GET', `${P}/jobs/${string}/runs?limit=2`>>().toEqualTypeOf<Run[]>();
    expectTypeOf<ReplyData<'POST', `${P}/jobs/${string}/runs/${string}/cancel`>>().toEqualTypeOf<Run>();
    expectTypeOf<ReplyData<'GET', `${P}/jobs/${string}/runs/${string}/logs`>>().toEqualTypeOf<LogLine[]>();
    expectTypeOf<ReplyData<'POST', `${P}/runs/statuses`>>().toEqualTypeOf<RunStatuses>();
    expectTypeOf<ReplyData<'GET', `${P}/webhooks/${string}`>>().toEqualTypeOf<Webhook>();
    expectTypeOf<ReplyData<'POST', `${P}/webhooks`>>().toEqualTypeOf<WebhookWithSecret>();
  });

  it('is unknown for a path it cannot place: a plain string, or no route', () => {
    expectTypeOf<ReplyData<'GET', string>>().toBeUnknown();
    expectTypeOf<ReplyData<'GET', `${P}/nothing`>>().toBeUnknown();
    expectTypeOf<ReplyData<'PUT', `${P}/jobs`>>().toBeUnknown();
  });
});
