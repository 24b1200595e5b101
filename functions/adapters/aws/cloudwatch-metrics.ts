// The MetricSource in AWS: ECS Container Insights through CloudWatch GetMetricData, for the job's task-definition
// family. CpuUtilized is in CPU units (1024 per vCPU) and becomes cores, averaged across the job's tasks;
// MemoryUtilized is in MiB and becomes bytes, summed across them. Each metric is its own query, so one that fails
// is reported in its place while the other still answers.
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { JobRef } from '../../core/jobs.ts';
import type { MetricName, MetricPoint, MetricSource, MetricWindow } from '../../core/ports.ts';
import { taskFamily } from '../../orchestration/ecs-names.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadCloudWatch = () => import('@aws-sdk/client-cloudwatch');
type CloudWatch = Awaited<ReturnType<typeof loadCloudWatch>>;

const NAMESPACE = 'ECS/ContainerInsights';
const CPU_UNITS_PER_CORE = 1024;
const BYTES_PER_MIB = 1024 * 1024;

export class CloudWatchMetricSource implements MetricSource {
  /** Container Insights publishes once a minute. */
  readonly minPeriodSeconds = 60;
  readonly #clusterName: string;
  readonly #cloudWatch: LazySdk<CloudWatch, CloudWatchClient>;

  constructor(options: { clusterName: string; client?: CloudWatchClient }) {
    this.#clusterName = options.clusterName;
    this.#cloudWatch = new LazySdk(loadCloudWatch, (sdk) => new sdk.CloudWatchClient({}), options.client);
  }

  #queries(jobId: string, names: MetricName[], period: number): MetricDataQuery[] {
    const metric = (MetricName: string) => ({
      Namespace: NAMESPACE,
      MetricName,
      Dimensions: [
        { Name: 'ClusterName', Value: this.#clusterName },
        { Name: 'TaskDefinitionFamily', Value: taskFamily(jobId) },
      ],
    });
    const queries: MetricDataQuery[] = [];
    if (names.includes('cpu_usage')) {
      queries.push({
        Id: 'cpu_usage',
        MetricStat: { Metric: metric('CpuUtilized'), Period: period, Stat: 'Average' },
        ReturnData: true,
      });
    }
    if (names.includes('memory_usage')) {
      // Sum over a period adds one value per task per minute: divide by the minutes for the total across tasks.
      queries.push({
        Id: 'memory_sum',
        MetricStat: { Metric: metric('MemoryUtilized'), Period: period, Stat: 'Sum' },
        ReturnData: false,
      });
      queries.push({ Id: 'memory_usage', Expression: `memory_sum / ${period / 60}`, ReturnData: true });
    }
    return queries;
  }

  async query(job: JobRef, names: MetricName[], window: MetricWindow): Promise<Record<string, MetricPoint[] | Error>> {
    const period = Math.max(60, Math.ceil(window.periodSeconds / 60) * 60);
    const queries = this.#queries(job.job_id, names, period);
    const points: Record<string, MetricPoint[]> = Object.fromEntries(names.map((name) => [name, []]));
    const failures: Record<string, Error> = {};
    const { sdk, client } = await this.#cloudWatch.get();
    let nextToken: string | undefined;
    do {
      const output = await client.send(
        new sdk.GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
        }),
      );
      for (const result of output.MetricDataResults ?? []) {
        const name = result.Id as MetricName;
        if (!(name in points)) continue;
        if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
          failures[name] = new Error(
            result.Messages?.map((m) => m.Value).join('; ') || `CloudWatch answered ${result.StatusCode}`,
          );
          continue;
        }
        const scale = name === 'cpu_usage' ? 1 / CPU_UNITS_PER_CORE : BYTES_PER_MIB;
        (result.Timestamps ?? []).forEach((timestamp, i) => {
          const value = (result.Values?.[i] ?? 0) * scale;
          points[name]!.push({
            timestamp: timestamp.toISOString(),
            value: name === 'cpu_usage' ? Math.round(value * 1000) / 1000 : Math.round(value),
          });
        });
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return { ...points, ...failures };
  }
}
