// The console's URLs: one per view, in the hash (so deep links and the back button work on any static host).
// #/w/<workspace>/p/<project>/jobs, …/jobs/new, …/jobs/<job>, …/jobs/<job>/edit, …/jobs/<job>/runs/<run>, …/runs, …/webhooks, …/webhooks/<id>,
// …/secrets, #/w/<workspace>/runs, #/w/<workspace>/audit; a query after '?' keeps a view's filters.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'home' }
  | { view: 'jobs'; workspace: string; project: string }
  | { view: 'job'; workspace: string; project: string; job: string }
  | { view: 'job-new'; workspace: string; project: string }
  | { view: 'job-edit'; workspace: string; project: string; job: string }
  | { view: 'run'; workspace: string; project: string; job: string; run: string }
  | { view: 'project-runs'; workspace: string; project: string }
  | { view: 'workspace-runs'; workspace: string }
  | { view: 'webhooks'; workspace: string; project: string }
  | { view: 'webhook'; workspace: string; project: string; webhook: string }
  | { view: 'webhook-new'; workspace: string; project: string }
  | { view: 'secrets'; workspace: string; project: string }
  | { view: 'audit'; workspace: string };

export interface Location {
  route: Route;
  query: URLSearchParams;
}

const PATTERNS: Array<[RegExp, (m: string[]) => Route]> = [
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/jobs$/,
    ([, workspace, project]) => ({ view: 'jobs', workspace: workspace!, project: project! }),
  ],
  // Before a job's own URL: 'new' is no job id.
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/jobs\/new$/,
    ([, workspace, project]) => ({ view: 'job-new', workspace: workspace!, project: project! }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/jobs\/([^/]+)\/edit$/,
    ([, workspace, project, job]) => ({ view: 'job-edit', workspace: workspace!, project: project!, job: job! }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/jobs\/([^/]+)$/,
    ([, workspace, project, job]) => ({ view: 'job', workspace: workspace!, project: project!, job: job! }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/jobs\/([^/]+)\/runs\/([^/]+)$/,
    ([, workspace, project, job, run]) => ({
      view: 'run',
      workspace: workspace!,
      project: project!,
      job: job!,
      run: run!,
    }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/runs$/,
    ([, workspace, project]) => ({ view: 'project-runs', workspace: workspace!, project: project! }),
  ],
  [/^\/w\/([^/]+)\/runs$/, ([, workspace]) => ({ view: 'workspace-runs', workspace: workspace! })],
  [/^\/w\/([^/]+)\/audit$/, ([, workspace]) => ({ view: 'audit', workspace: workspace! })],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/webhooks$/,
    ([, workspace, project]) => ({ view: 'webhooks', workspace: workspace!, project: project! }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/secrets$/,
    ([, workspace, project]) => ({ view: 'secrets', workspace: workspace!, project: project! }),
  ],
  // Before the webhook's own pattern, which 'new' would match too.
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/webhooks\/new$/,
    ([, workspace, project]) => ({ view: 'webhook-new', workspace: workspace!, project: project! }),
  ],
  [
    /^\/w\/([^/]+)\/p\/([^/]+)\/webhooks\/([^/]+)$/,
    ([, workspace, project, webhook]) => ({
      view: 'webhook',
      workspace: workspace!,
      project: project!,
      webhook: webhook!,
    }),
  ],
];

export function parse(hash: string): Location {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  for (const [pattern, make] of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return { route: make(match.map((part) => decodeURIComponent(part))), query };
  }
  return { route: { view: 'home' }, query };
}

/** The href of a path in the console, with an optional query (empty values left out). */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams(
    Object.entries(query).filter((entry): entry is [string, string] => Boolean(entry[1])),
  ).toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

export const paths = {
  jobs: (w: string, p: string) => `/w/${w}/p/${p}/jobs`,
  job: (w: string, p: string, job: string) => `/w/${w}/p/${p}/jobs/${job}`,
  newJob: (w: string, p: string) => `/w/${w}/p/${p}/jobs/new`,
  editJob: (w: string, p: string, job: string) => `/w/${w}/p/${p}/jobs/${job}/edit`,
  run: (w: string, p: string, job: string, run: string) => `/w/${w}/p/${p}/jobs/${job}/runs/${run}`,
  projectRuns: (w: string, p: string) => `/w/${w}/p/${p}/runs`,
  workspaceRuns: (w: string) => `/w/${w}/runs`,
  webhooks: (w: string, p: string) => `/w/${w}/p/${p}/webhooks`,
  webhook: (w: string, p: string, id: string) => `/w/${w}/p/${p}/webhooks/${id}`,
  newWebhook: (w: string, p: string) => `/w/${w}/p/${p}/webhooks/new`,
  secrets: (w: string, p: string) => `/w/${w}/p/${p}/secrets`,
  audit: (w: string) => `/w/${w}/audit`,
};

export function navigate(target: string): void {
  location.hash = target.startsWith('#') ? target : `#${target}`;
}

/** The current location, following the hash. */
export function useLocation(): Location {
  const [location_, setLocation] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = () => setLocation(parse(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return location_;
}
