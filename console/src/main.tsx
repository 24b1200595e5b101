// The web console: a client of the public API only, through the same typed client the CLI uses. Each view has
// its own URL; the key is the one pasted at sign-in.
import './locale.ts'; // first: before any module reads the browser's language
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { type ComponentChildren, render } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import { href, navigate, paths, useLocation, type Route } from './route.ts';
import { loadConfig, signOut, useSignedIn } from './session.ts';
import { Home } from './views/home.tsx';
import { Jobs } from './views/jobs.tsx';
import { JobView } from './views/job.tsx';
import { LazyJobForm } from './lazy.tsx';
import { RunView } from './views/run.tsx';
import { Runs } from './views/runs.tsx';
import { WebhookView, Webhooks } from './views/webhooks.tsx';
import { NewWebhook } from './views/webhook-form.tsx';
import { Secrets } from './views/secrets.tsx';
import { Audit } from './views/audit.tsx';

function View({ route, query }: { route: Route; query: URLSearchParams }) {
  switch (route.view) {
    case 'home':
      return <Home query={query} />;
    case 'jobs':
      return <Jobs workspace={route.workspace} project={route.project} query={query} />;
    case 'job':
      // A view of another job starts afresh: nothing it showed (an outcome, a confirmation) belongs to this one.
      return (
        <JobView key={route.job} workspace={route.workspace} project={route.project} jobId={route.job} query={query} />
      );
    case 'job-new':
      return <LazyJobForm workspace={route.workspace} project={route.project} />;
    case 'job-edit':
      return <LazyJobForm key={route.job} workspace={route.workspace} project={route.project} jobId={route.job} />;
    case 'run':
      return <RunView workspace={route.workspace} project={route.project} jobId={route.job} runId={route.run} />;
    case 'project-runs':
      return <Runs workspace={route.workspace} project={route.project} query={query} />;
    case 'workspace-runs':
      return <Runs workspace={route.workspace} query={query} />;
    case 'webhooks':
      return <Webhooks workspace={route.workspace} project={route.project} />;
    case 'webhook':
      return (
        <WebhookView workspace={route.workspace} project={route.project} webhookId={route.webhook} query={query} />
      );
    case 'webhook-new':
      return <NewWebhook workspace={route.workspace} project={route.project} />;
    case 'secrets':
      return <Secrets workspace={route.workspace} project={route.project} />;
    case 'audit':
      return <Audit workspace={route.workspace} query={query} />;
  }
}

/** A view that throws while it renders says so, and which, instead of leaving the page blank. */
function Guarded({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (!error) return <>{children}</>;
  return (
    <div class="notice error" role="alert">
      <strong>This view failed: </strong>
      {(error as Error).message ?? String(error)}{' '}
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}

function App() {
  const { route, query } = useLocation();
  const signedIn = useSignedIn();
  // Every view but sign-in needs a key: without one, this URL shows sign-in, then its own view.
  if (!signedIn && route.view !== 'home') {
    return (
      <main id="main" tabIndex={-1}>
        <Home query={new URLSearchParams()} />
      </main>
    );
  }
  const project = 'project' in route ? { workspace: route.workspace, project: route.project } : null;
  return (
    <>
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link; the hash holds the route, so it moves focus itself */}
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header>
        <nav aria-label="Console">
          <a class="brand" href="#/">
            Jobs
          </a>
          {project && (
            <>
              <a
                href={href(paths.jobs(project.workspace, project.project))}
                aria-current={route.view === 'jobs' ? 'page' : undefined}
              >
                Jobs
              </a>
              <a
                href={href(paths.projectRuns(project.workspace, project.project))}
                aria-current={route.view === 'project-runs' ? 'page' : undefined}
              >
                Runs
              </a>
              <a href={href(paths.workspaceRuns(project.workspace))}>Workspace runs</a>
              <a
                href={href(paths.webhooks(project.workspace, project.project))}
                aria-current={route.view === 'webhooks' ? 'page' : undefined}
              >
                Webhooks
              </a>
              <a
                href={href(paths.secrets(project.workspace, project.project))}
                aria-current={route.view === 'secrets' ? 'page' : undefined}
              >
                Secrets
              </a>
              <a href={href(paths.audit(project.workspace), { project_id: project.project })}>Audit</a>
              <span class="where">
                {project.workspace}/{project.project}
              </span>
            </>
          )}
          {route.view === 'audit' && (
            <>
              <a href={href(paths.workspaceRuns(route.workspace))}>Workspace runs</a>
              <a href={href(paths.audit(route.workspace))} aria-current="page">
                Audit
              </a>
              <span class="where">{route.workspace}</span>
            </>
          )}
          {signedIn && (
            <button
              type="button"
              class="link"
              onClick={() => {
                signOut();
                navigate('/');
              }}
            >
              Sign out
            </button>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {/* Another view starts unfailed; a change of this view's filters (its query) keeps it as it is. */}
        <Guarded key={JSON.stringify(route)}>
          <View route={route} query={query} />
        </Guarded>
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
try {
  await loadConfig();
  root.replaceChildren(); // the "Loading" line goes
  render(<App />, root);
} catch (error) {
  // Whatever stops the start is said, never left as "Loading the console…".
  const notice = document.createElement('p');
  notice.className = 'notice error';
  notice.setAttribute('role', 'alert');
  notice.textContent = `The console could not start: ${(error as Error).message ?? String(error)}`;
  root.replaceChildren(notice);
}
