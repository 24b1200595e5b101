// Figures as CloudWatch's embedded metric format, as the Lambda functions print them: each line is one EMF
// document (checked field by field against the format's rules), with the service-wide and the per-project
// dimension sets the dashboard, the alarms and a team's own graphs read.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfFigures, FIGURES_NAMESPACE } from '../../../functions/adapters/aws/emf-figures.ts';
import { runEvent } from '../../../functions/core/events.ts';
import { FIGURES, MetricsRecorder } from '../../../functions/core/service-metrics.ts';
import { outcomeAlerts } from '../../../functions/core/alerts.ts';
import { aRun } from '../../helpers/runs.ts';

const ref = { workspace_id: 'acme', project_id: 'etl' };

/** The EMF documents printed while `act` runs. */
function printed(act: () => void): Array<Record<string, any>> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** The rules of the embedded metric format a document must follow to become metrics. */
function expectEmf(doc: Record<string, any>) {
  expect(typeof doc._aws.Timestamp).toBe('number');
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(directive.Namespace).toBe(FIGURES_NAMESPACE);
    for (const set of directive.Dimensions) for (const name of set) expect(typeof doc[name]).toBe('string');
    for (const metric of directive.Metrics) {
      expect(['Count', 'Milliseconds']).toContain(metric.Unit);
      expect(doc[metric.Name]).toBeDefined();
    }
  }
}

afterEach(() => vi.restoreAllMocks());

describe('figures in the embedded metric format', () => {
  it('prints a run that failed as a count and its duration, for the service and for its project', async () => {
    const recorder = new MetricsRecorder(
      { add: async () => undefined, all: async () => [] },
      undefined,
      new EmfFigures(),
    );
    const run = aRun({ ...ref, job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' }, 'run_01JD6R0G2M4S8V1X3Z5B7D9F1A', {
      status: 'failed',
      started_at: '2026-12-01T10:00:00.000Z',
      finished_at: '2026-12-01T10:00:02.500Z',
      duration_ms: 2500,
    });
    const failed = runEvent('run.failed', run, new Date());
    const [paused] = outcomeAlerts(
      { ...ref, id: run.job_id, alerts: { consecutive_failures: 1 }, schedule: null, suspended: false },
      0,
      run,
      'failed',
      new Date(),
    ).events;
    const docs = printed(() => void recorder.publish([failed, paused!]));
    expect(docs).toHaveLength(2);
    for (const doc of docs) expectEmf(doc);
    const [runDoc, alertDoc] = docs;
    expect(runDoc).toMatchObject({
      service: 'jobs',
      workspace: 'acme',
      project: 'etl',
      RunsFailed: 1,
      RunDuration: 2500,
    });
    expect(runDoc!._aws.CloudWatchMetrics[0].Dimensions).toEqual(
      expect.arrayContaining([['service', 'workspace', 'project'], ['service']]),
    );
    expect(runDoc!._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: FIGURES.runs.failed, Unit: 'Count' },
        { Name: FIGURES.duration, Unit: 'Milliseconds' },
      ]),
    );
    expect(alertDoc).toMatchObject({ JobsFailing: 1 });
  });

  it('prints a webhook delivery by outcome', () => {
    const recorder = new MetricsRecorder(
      { add: async () => undefined, all: async () => [] },
      undefined,
      new EmfFigures(),
    );
    const [doc] = printed(() => void recorder.delivery(ref, 'retrying'));
    expectEmf(doc!);
    expect(doc).toMatchObject({ WebhookDeliveriesRetrying: 1, workspace: 'acme' });
  });
});
