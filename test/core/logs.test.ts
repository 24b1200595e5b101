// LogService: a run's or a job's lines, read only once the run or job is found in the caller's project.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../functions/core/errors.ts';
import { runRef } from '../../functions/core/run-model.ts';
import { useCore } from '../helpers/core.ts';

const t = useCore('log-service');
const project = { workspace_id: 'acme', project_id: 'logs' };

describe('LogService', () => {
  it("reads a run's lines and a job's, and nothing for a run or job that is not the project's", async () => {
    const job = await t.core.services.jobs().create(project, { name: 'talkative', image: 'alpine', command: ['true'] });
    const run = runRef(await t.core.services.runs().trigger({ ...project, job_id: job.id }, {}));
    t.core.logs.lines.push({ timestamp: '2026-12-01T12:00:00.000Z', run_id: run.run_id, stream: 'stdout', message: 'hello' });
    expect((await t.core.services.logs().forRun(run, { limit: 10, filter: 'hel' })).items.map((l) => l.message)).toEqual(['hello']);
    expect(t.core.logs.queries.at(-1)).toEqual({ job: run, run_id: run.run_id, limit: 10, filter: 'hel' });
    expect((await t.core.services.logs().forJob({ ...project, job_id: job.id }, { limit: 10 })).items).toHaveLength(1);
    const elsewhere = { ...run, project_id: 'other' };
    await expect(t.core.services.logs().forRun(elsewhere, { limit: 10 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.services.logs().forJob({ ...project, job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' }, { limit: 10 })).rejects.toBeInstanceOf(NotFoundError);
  });
});
