// A project's secrets: names, versions and the jobs that use them (never a value), a form that sets one (the value
// typed in a password field, sent once and cleared), and Delete for one no job uses.
import { useState } from 'preact/hooks';
import { client } from '../session.ts';
import { Empty, ErrorNotice, OutcomeNotice, useAction, useLoad } from '../components.tsx';
import { age } from '../format.ts';
import { href, paths } from '../route.ts';

export function Secrets({ workspace, project }: { workspace: string; project: string }) {
  const api = client(workspace, project);
  const secrets = useLoad(() => api.listSecrets(), [workspace, project]);
  // Jobs by id, so a secret's users are shown by name.
  const jobs = useLoad(() => api.listJobs({ limit: 100 }), [workspace, project]);
  const names = new Map((jobs.data?.items ?? []).map((job) => [job.id, job.name]));
  const [form, setForm] = useState({ name: '', value: '' });
  const [outcome, act, busy] = useAction();

  const save = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const { secret, created } = await api.putSecret(form.name, { value: form.value });
      setForm({ name: '', value: '' });
      secrets.reload();
      return `${secret.name} ${created ? 'created' : 'updated'}: version ${secret.version}`;
    });
  };

  return (
    <section>
      <h1>
        Secrets of {workspace}/{project}
      </h1>
      <p class="sub">
        A job names a secret in its <code>secrets</code>; each run reads the current value as it starts. Values are
        never shown again, and are masked as *** in runs' output.
      </p>
      <ErrorNotice error={secrets.error} />
      {secrets.data && secrets.data.length === 0 && <Empty>No secrets yet. Set one below.</Empty>}
      {secrets.data && secrets.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Used by</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {secrets.data.map((secret) => (
              <tr key={secret.name}>
                <td>
                  <code>{secret.name}</code>
                  {secret.source === 'linked' && <span class="sub"> (linked)</span>}
                </td>
                <td>{secret.version}</td>
                <td>
                  {secret.used_by.length === 0
                    ? '—'
                    : secret.used_by.map((id, i) => (
                        <span key={id}>
                          {i > 0 && ', '}
                          <a href={href(paths.job(workspace, project, id))} title={id}>
                            {names.get(id) ?? id}
                          </a>
                        </span>
                      ))}
                </td>
                <td>{age(secret.updated_at)}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy || secret.used_by.length > 0}
                    title={secret.used_by.length > 0 ? 'Used by jobs: change them first' : undefined}
                    onClick={() =>
                      act(async () => {
                        await api.deleteSecret(secret.name);
                        secrets.reload();
                        return `${secret.name} deleted`;
                      })
                    }
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Set a secret</h2>
      <form class="run-now" onSubmit={save}>
        <label for="secret-name">Name (letters, digits, _ . -)</label>
        <input
          id="secret-name"
          value={form.name}
          autoComplete="off"
          onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })}
          list="secret-names"
          required
        />
        <datalist id="secret-names">
          {(secrets.data ?? []).map((secret) => (
            <option key={secret.name} value={secret.name} />
          ))}
        </datalist>
        <label for="secret-value">Value (a new version if the secret exists)</label>
        <input
          id="secret-value"
          type="password"
          autoComplete="new-password"
          value={form.value}
          onInput={(e) => setForm({ ...form, value: (e.target as HTMLInputElement).value })}
          required
        />
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>
      <OutcomeNotice outcome={outcome} />
    </section>
  );
}
