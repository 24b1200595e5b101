// The FigureSink in AWS: each figure as a line of CloudWatch's embedded metric format on the function's stdout
// (Powertools Metrics writes it), which CloudWatch Logs turns into metrics in the namespace `Jobs` with no API call.
// Each line carries two dimension sets: the service alone (what the dashboard and the alarms read) and the
// service with the workspace and project (for a team's own graphs and alarms).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Figure, FigureSink } from '../../core/service-metrics.ts';
import type { ProjectRef } from '../../core/ports.ts';

export const FIGURES_NAMESPACE = 'Jobs';
export const FIGURES_SERVICE = 'jobs';

export class EmfFigures implements FigureSink {
  readonly #metrics: Metrics;

  constructor(metrics = new Metrics({ namespace: FIGURES_NAMESPACE, serviceName: FIGURES_SERVICE })) {
    this.#metrics = metrics;
  }

  record(ref: ProjectRef, figures: Figure[]): void {
    if (figures.length === 0) return;
    this.#metrics.addDimensions({ workspace: ref.workspace_id, project: ref.project_id });
    // A set of no dimensions of its own: the service alone (the default dimension).
    this.#metrics.addDimensions({});
    for (const figure of figures)
      this.#metrics.addMetric(
        figure.name,
        figure.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds,
        figure.value,
      );
    this.#metrics.publishStoredMetrics();
  }
}
