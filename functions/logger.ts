// The service's structured logger (Powertools): one JSON object per line, the same in Lambda and locally.
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

export function createLogger(serviceName = 'jobs'): Logger {
  return new Logger({ serviceName, logLevel: (process.env.LOG_LEVEL ?? 'INFO') as 'INFO' });
}

/** Fields that identify what a log line is about; added to every line a request writes. */
export interface LogContext {
  request_id?: string;
  workspace_id?: string;
  project_id?: string;
  job_id?: string;
  run_id?: string;
  [key: string]: unknown;
}
