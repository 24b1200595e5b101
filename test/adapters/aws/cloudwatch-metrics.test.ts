import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricSource } from '../../../functions/adapters/aws/cloudwatch-metrics.ts';

const cloudwatch = mockClient(CloudWatchClient);
const source = new CloudWatchMetricSource({
  clusterName: 'jobs-cluster',
  client: new CloudWatchClient({ region: 'eu-west-1' }),
});
const job = { workspace_id: 'acme', project_id: 'etl', job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' };
const window = { start: new Date('2026-06-01T10:00:00Z'), end: new Date('2026-06-01T11:00:00Z'), periodSeconds: 300 };
const dimensions = [
  { Name: 'ClusterName', Value: 'jobs-cluster' },
  { Name: 'TaskDefinitionFamily', Value: `job-${job.job_id}` },
];

beforeEach(() => cloudwatch.reset());

describe('CloudWatchMetricSource', () => {
  it('asks Container Insights for the job family, CPU averaged and memory totalled across tasks', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await source.query(job, ['cpu_usage', 'memory_usage'], window);
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        MetricDataQueries: [
          {
            Id: 'cpu_usage',
            MetricStat: {
              Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'CpuUtilized', Dimensions: dimensions },
              Period: 300,
              Stat: 'Average',
            },
            ReturnData: true,
          },
          {
            Id: 'memory_sum',
            MetricStat: {
              Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'MemoryUtilized', Dimensions: dimensions },
              Period: 300,
              Stat: 'Sum',
            },
            ReturnData: false,
          },
          { Id: 'memory_usage', Expression: 'memory_sum / 5', ReturnData: true },
        ],
        StartTime: window.start,
        EndTime: window.end,
        ScanBy: 'TimestampAscending',
        NextToken: undefined,
      },
    ]);
  });

  it('converts CPU units to cores and MiB to bytes, across pages', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'cpu_usage', StatusCode: 'PartialData', Timestamps: [new Date('2026-06-01T10:00:00Z')], Values: [512] },
        ],
        NextToken: 'more',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'cpu_usage', StatusCode: 'Complete', Timestamps: [new Date('2026-06-01T10:05:00Z')], Values: [2048] },
          { Id: 'memory_usage', StatusCode: 'Complete', Timestamps: [new Date('2026-06-01T10:05:00Z')], Values: [200] },
        ],
      });
    const result = await source.query(job, ['cpu_usage', 'memory_usage'], window);
    expect(result).toEqual({
      cpu_usage: [
        { timestamp: '2026-06-01T10:00:00.000Z', value: 0.5 },
        { timestamp: '2026-06-01T10:05:00.000Z', value: 2 },
      ],
      memory_usage: [{ timestamp: '2026-06-01T10:05:00.000Z', value: 200 * 1024 * 1024 }],
    });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('more');
  });

  it('reports a query that failed in its own place, and answers the other', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'cpu_usage', StatusCode: 'Complete', Timestamps: [new Date('2026-06-01T10:00:00Z')], Values: [1024] },
        {
          Id: 'memory_usage',
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'not authorized for MemoryUtilized' }],
        },
      ],
    });
    const result = await source.query(job, ['cpu_usage', 'memory_usage'], window);
    expect(result.cpu_usage).toEqual([{ timestamp: '2026-06-01T10:00:00.000Z', value: 1 }]);
    expect(result.memory_usage).toBeInstanceOf(Error);
    expect((result.memory_usage as Error).message).toBe('not authorized for MemoryUtilized');
  });

  it('asks only for what was named, at whole minutes', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await source.query(job, ['memory_usage'], { ...window, periodSeconds: 90 });
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries?.map((q) => q.Id)).toEqual(['memory_sum', 'memory_usage']);
    expect(input.MetricDataQueries?.[0]?.MetricStat?.Period).toBe(120);
    expect(input.MetricDataQueries?.[1]?.Expression).toBe('memory_sum / 2');
  });
});
