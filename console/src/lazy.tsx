// Views that most visits never open, loaded only when they are: the job form brings a YAML parser and printer,
// which the jobs list and the run page have no use for.
import { ErrorNotice, useLoad } from './components.tsx';

type JobFormProps = { workspace: string; project: string; jobId?: string };

export function LazyJobForm(props: JobFormProps) {
  const view = useLoad(() => import('./views/job-form.tsx'), []);
  if (view.error) return <ErrorNotice error={view.error} />;
  if (!view.data) return <p aria-live="polite">Loading the job's form…</p>;
  const { JobForm } = view.data;
  return <JobForm {...props} />;
}
