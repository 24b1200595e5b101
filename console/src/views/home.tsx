// Sign-in and the choice of a project: the key is pasted here and kept in this tab only.
import { useState } from 'preact/hooks';
import { ErrorNotice } from '../components.tsx';
import { JobsClient } from '../../../client/jobs-client.ts';
import { apiUrl, consoleConfig, signIn, useSignedIn } from '../session.ts';
import { navigate, paths } from '../route.ts';

const LAST = 'jobs.console.project';

export function Home({ query }: { query: URLSearchParams }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const signedIn = useSignedIn();
  const last = (localStorage.getItem(LAST) ?? 'default/default').split('/');
  const [workspace, setWorkspace] = useState(last[0] ?? '');
  const [project, setProject] = useState(last[1] ?? '');
  const adminKeyFile = consoleConfig().admin_key_file;

  const submitKey = async (event: Event) => {
    event.preventDefault();
    try {
      // The service answers 401 to a key it does not know; 403 only says this key is not an admin's.
      const candidate = new JobsClient({ url: apiUrl(), key: key.trim() });
      await candidate.listKeys({ limit: 1 }).catch((e: { status?: number }) => {
        if (e.status !== 403) throw e;
      });
      signIn(key);
      setError(null);
      const back = query.get('back');
      if (back) navigate(back);
    } catch (e) {
      setError(e);
    }
  };

  const open = (event: Event) => {
    event.preventDefault();
    // The names are the API's to check: a bad one is answered on the jobs view, naming the field.
    localStorage.setItem(LAST, `${workspace}/${project}`);
    navigate(paths.jobs(workspace, project));
  };

  if (!signedIn) {
    return (
      <section class="signin">
        <h1>Sign in</h1>
        {query.get('expired') && (
          <div class="notice error" role="alert">
            The key was refused (401): sign in again.
          </div>
        )}
        <form onSubmit={submitKey}>
          <label for="key">API key</label>
          <input
            id="key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
          <p class="hint">
            The key is sent as <code>Authorization: Bearer</code> and kept in this tab's session storage only.
            {adminKeyFile && (
              <>
                {' '}
                Locally, the admin key is in <code>{adminKeyFile}</code>.
              </>
            )}
          </p>
          <button type="submit">Sign in</button>
        </form>
        <ErrorNotice error={error} />
      </section>
    );
  }
  return (
    <section class="signin">
      <h1>Open a project</h1>
      <form onSubmit={open}>
        <label for="workspace">Workspace</label>
        <input
          id="workspace"
          required
          value={workspace}
          onInput={(e) => setWorkspace((e.target as HTMLInputElement).value)}
        />
        <label for="project">Project</label>
        <input
          id="project"
          required
          value={project}
          onInput={(e) => setProject((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Open</button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}
