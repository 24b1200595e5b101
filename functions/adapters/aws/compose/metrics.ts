// Job metrics from Container Insights (CloudWatch); the job is read to answer 404 for one that does not exist.
import { need } from '../../../config.ts';
import { JobService } from '../../../core/jobs.ts';
import { MetricsService } from '../../../core/metrics.ts';
import { CloudWatchMetricSource } from '../cloudwatch-metrics.ts';
import { DynamoJobStore } from '../dynamodb/job-store.ts';
import type { AwsBase } from './base.ts';

export function awsMetrics(base: AwsBase): MetricsService {
  return new MetricsService({
    jobs: new JobService(new DynamoJobStore(base.table)),
    source: new CloudWatchMetricSource({ clusterName: need(base.config.clusterName, 'JOBS_CLUSTER_NAME') }),
  });
}
