import { describe, expect, it } from 'vitest';
import { buildJob, type Job } from '../../functions/core/jobs.ts';
import { changeText, revisionsKept, sameSpec, specChanges, specOf } from '../../functions/core/revisions.ts';

const ref = { workspace_id: 'acme', project_id: 'etl' };
const base = buildJob(
  ref,
  'job_X',
  { name: 'n', image: 'alpine', command: ['true'], env: { A: '1', B: '2' } },
  't',
  't',
);

describe("a job's revisions", () => {
  it('tells the changes field by field, maps by their keys, lists and commands as a whole', () => {
    const after = {
      ...base,
      image: 'busybox',
      env: { A: '1', C: '3' },
      command: ['sh', '-c', 'true'],
      history: { ...base.history, max_runs: 5 },
    };
    expect(specChanges(base, after)).toEqual([
      { field: 'image', before: 'alpine', after: 'busybox' },
      { field: 'command', before: ['true'], after: ['sh', '-c', 'true'] },
      { field: 'env.B', before: '2', after: undefined },
      { field: 'env.C', before: undefined, after: '3' },
      { field: 'history.max_runs', before: 1000, after: 5 },
    ]);
    const later: Job = { ...base, updated_at: 'later', revision: 7 };
    expect(specChanges(base, later)).toEqual([]);
  });

  it('compares specs only, whatever else the job carries', () => {
    const later: Job = { ...base, updated_at: 'later', revision: 9 };
    expect(sameSpec(base, later)).toBe(true);
    expect(sameSpec(base, { ...base, tags: { team: 'x' } })).toBe(false);
    expect(Object.keys(specOf(base))).not.toContain('revision');
  });

  it('keeps at least 100 revisions, and as many as the runs the job keeps', () => {
    expect(revisionsKept({ history: { max_runs: 10, max_age_days: 1 } })).toBe(100);
    expect(revisionsKept({ history: { max_runs: 500, max_age_days: 1 } })).toBe(500);
  });

  it('reads a change as added, removed or changed, with its values on one line', () => {
    expect(changeText({ field: 'env.C', before: undefined, after: '3' })).toEqual({ sign: '+', values: '3' });
    expect(changeText({ field: 'tags.t', before: 'x', after: undefined })).toEqual({ sign: '-', values: 'x' });
    expect(changeText({ field: 'command', before: ['true'], after: ['sh'] })).toEqual({
      sign: '~',
      values: '["true"] → ["sh"]',
    });
  });
});
