// New job and Edit job: a form for every field of a job's spec, and the same spec as YAML or JSON text. The service
// checks what is sent: its 400 is shown against each field it names. An edit is sent as the fields it changed,
// against the revision it started from (If-Match), so a change made meanwhile is shown, never overwritten.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import {
  ALERT_RULES,
  ApiError,
  CHAIN_CONDITIONS,
  CONCURRENCY_POLICIES,
  changeText,
  DEFAULTS,
  FARGATE_CPUS,
  type Job,
  type JobCreate,
  NETWORKS,
  nextFires,
  RETRY_ACTIONS,
  specChanges,
} from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { forgetJobNames, jobNames } from '../job-names.ts';
import { ErrorNotice, leaveIfSignedOut, useLoad } from '../components.tsx';
import { FieldMessages, invalidProps, useFocusOnFirstInvalid } from '../field-errors.tsx';
import {
  type AlertRule,
  type Draft,
  draftOf,
  emptyDraft,
  parseSpecText,
  patchOf,
  rebase,
  type Row,
  type SpecObject,
  specOfDraft,
  specOfJob,
  specText,
  type TextFormat,
} from '../job-draft.ts';
import { scheduleWords, time, zonedTime } from '../format.ts';
import { href, navigate, paths } from '../route.ts';

type Tab = 'form' | TextFormat;
type FieldErrors = Array<{ field: string; message: string }>;

const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/** The errors of one field: its own, and those of anything inside it (`env.X`, `run_after.0.job`). */
const errorsOf = (errors: FieldErrors, field: string) =>
  errors.filter((e) => e.field === field || e.field.startsWith(`${field}.`));

export function JobForm({ workspace, project, jobId }: { workspace: string; project: string; jobId?: string }) {
  const api = client(workspace, project);
  const loaded = useLoad(async () => {
    const [job, secrets, names, roles] = await Promise.all([
      jobId ? api.getJob(jobId) : Promise.resolve(null),
      api.listSecrets(),
      // Every job of the project by name (all pages, kept a while, as every job label reads them).
      jobNames(workspace, project),
      // Only a key of the workspace may read its settings: without them the role is typed, not picked.
      api.workspaceSettings().then(
        (settings) => settings.task_roles,
        () => [] as string[],
      ),
    ]);
    const others = [...names].filter(([id]) => id !== jobId).map(([, name]) => name);
    return { job, secrets: secrets.map((s) => s.name), jobs: others.sort(), roles };
  }, [workspace, project, jobId]);
  if (loaded.error && !loaded.data) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <p aria-live="polite">Loading the job's form…</p>;
  return (
    <Editor
      key={loaded.data.job?.revision ?? 'new'}
      workspace={workspace}
      project={project}
      job={loaded.data.job}
      secrets={loaded.data.secrets}
      jobs={loaded.data.jobs}
      roles={loaded.data.roles}
    />
  );
}

/** The draft's field an API field error is about. */
function apiField(key: keyof Draft): string {
  if (key === 'history_max_runs') return 'history.max_runs';
  if (key === 'history_max_age_days') return 'history.max_age_days';
  if (key === 'commandMode') return 'command';
  return key;
}

/** The error as it still stands: a 400 whose every field was changed since says nothing more. */
function shownError(error: unknown, fieldErrors: FieldErrors): unknown {
  if (!(error instanceof ApiError) || error.errors.length === 0) return error;
  return fieldErrors.length === 0 ? null : new ApiError(error.status, error.message, fieldErrors);
}

interface Conflict {
  current: Job;
  by: string;
}

function Editor({
  workspace,
  project,
  job,
  secrets,
  jobs,
  roles,
}: {
  workspace: string;
  project: string;
  job: Job | null;
  secrets: string[];
  /** The names of the project's other jobs. */
  jobs: string[];
  roles: string[];
}) {
  const api = client(workspace, project);
  /** The job as the edit began (or was carried over onto): what the patch is made against. */
  const [base, setBase] = useState<Job | null>(job);
  const [draft, setDraft] = useState<Draft>(() => (job ? draftOf(specOfJob(job)) : emptyDraft()));
  const [tab, setTab] = useState<Tab>('form');
  const [source, setSource] = useState('');
  const [textError, setTextError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** The 400's field errors, each until its field is changed. */
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>([]);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const [unchanged, setUnchanged] = useState(false);

  const edit = (next: Draft) => {
    const changed = (Object.keys(next) as Array<keyof Draft>).filter((k) => next[k] !== draft[k]).map(apiField);
    setFieldErrors((errors) => errors.filter((e) => !changed.some((field) => errorsOf([e], field).length > 0)));
    setDraft(next);
  };

  const form = useFocusOnFirstInvalid(error);

  /** The spec on screen: the form's, or the text tab's (an error when the text cannot be read). */
  const currentSpec = (): SpecObject => (tab === 'form' ? specOfDraft(draft) : parseSpecText(source, tab));

  const switchTo = (next: Tab) => {
    if (next === tab) return;
    try {
      const spec = currentSpec();
      if (next === 'form') setDraft(draftOf(spec));
      else setSource(specText(spec, next));
      setTextError(null);
      setTab(next);
    } catch (e) {
      setTextError((e as Error).message);
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    let spec: SpecObject;
    try {
      spec = currentSpec();
      setTextError(null);
    } catch (e) {
      setTextError((e as Error).message);
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors([]);
    setUnchanged(false);
    try {
      if (!base) {
        const made = await api.createJob(spec as JobCreate);
        forgetJobNames(workspace, project);
        navigate(href(paths.job(workspace, project, made.id), { created: '1' }));
        return;
      }
      const patch = patchOf(base, spec);
      if (Object.keys(patch).length === 0) {
        setUnchanged(true);
        return;
      }
      const saved = await api.patchJob(base.id, patch, base.revision);
      if ('name' in patch) forgetJobNames(workspace, project);
      navigate(href(paths.job(workspace, project, saved.id), { saved: String(saved.revision) }));
    } catch (e) {
      if (leaveIfSignedOut(e)) return;
      if (base && e instanceof ApiError && e.status === 412) {
        // Changed meanwhile: nothing was written. Say by whom and what, and let the user choose.
        try {
          const current = await api.getJob(base.id);
          const revision = await api.getJobRevision(base.id, current.revision).catch(() => null);
          setConflict({ current, by: revision?.actor.key_name ?? 'another key' });
        } catch (reading) {
          // Deleted meanwhile, say: that is the answer to show.
          setError(reading);
        }
      } else {
        setError(e);
        setFieldErrors(e instanceof ApiError ? e.errors : []);
      }
    } finally {
      setBusy(false);
    }
  };

  const keepMine = () => {
    if (!base || !conflict) return;
    const carried = rebase(base, conflict.current, currentSpec());
    setBase(conflict.current);
    setDraft(draftOf(carried));
    if (tab !== 'form') setSource(specText(carried, tab));
    setConflict(null);
  };
  const discardMine = () => {
    if (!conflict) return;
    const spec = specOfJob(conflict.current);
    setBase(conflict.current);
    setDraft(draftOf(spec));
    if (tab !== 'form') setSource(specText(spec, tab));
    setConflict(null);
  };

  const cancelHref = href(base ? paths.job(workspace, project, base.id) : paths.jobs(workspace, project));
  return (
    <section class="job-form">
      <h1>{base ? `Edit ${base.name}` : `New job in ${workspace}/${project}`}</h1>
      {base && (
        <p class="sub">
          <code>{base.id}</code> · editing revision {base.revision}; a change made by someone else meanwhile is shown
          here, not overwritten.
        </p>
      )}
      <div class="tabs" role="tablist" aria-label="Edit as">
        {(['form', 'yaml', 'json'] as const).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tab === name}
            aria-controls="job-editor"
            onClick={() => switchTo(name)}
          >
            {name === 'form' ? 'Form' : name.toUpperCase()}
          </button>
        ))}
      </div>
      {textError && (
        <div class="notice error" role="alert">
          <strong>The {tab === 'form' ? 'text' : tab.toUpperCase()} cannot be read: </strong>
          {textError}
        </div>
      )}
      {conflict && base && <ConflictNotice base={base} conflict={conflict} onKeep={keepMine} onDiscard={discardMine} />}
      <form ref={form} id="job-editor" role="tabpanel" aria-labelledby={`tab-${tab}`} onSubmit={save} noValidate>
        {tab === 'form' ? (
          <Fields draft={draft} onChange={edit} errors={fieldErrors} secrets={secrets} jobs={jobs} roles={roles} />
        ) : (
          <div class="field">
            <label for="job-text">
              The job as {tab.toUpperCase()}: a field left out takes its default (the same fields as a job file of{' '}
              <code>jobsctl apply</code>)
            </label>
            <textarea
              id="job-text"
              class="code"
              rows={Math.min(40, Math.max(12, source.split('\n').length + 2))}
              spellcheck={false}
              value={source}
              onInput={(e) => setSource((e.target as HTMLTextAreaElement).value)}
            />
          </div>
        )}
        <ErrorNotice error={shownError(error, fieldErrors)} />
        {unchanged && (
          <p class="notice ok" role="status">
            Nothing changed: there is nothing to save.
          </p>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy || conflict !== null}>
            {base ? 'Save changes' : 'Create job'}
          </button>
          <a class="button" href={cancelHref}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}

function ConflictNotice({
  base,
  conflict,
  onKeep,
  onDiscard,
}: {
  base: Job;
  conflict: Conflict;
  onKeep: () => void;
  onDiscard: () => void;
}) {
  const changes = specChanges(base, conflict.current);
  return (
    <div class="notice warn conflict" role="alert">
      <p>
        <strong>Not saved: the job was changed while you edited it.</strong> It is now revision{' '}
        {conflict.current.revision} (by {conflict.by}, {time(conflict.current.updated_at)}); you began from revision{' '}
        {base.revision}. Their change:
      </p>
      <ul class="diff">
        {changes.map((c) => {
          const { sign, values } = changeText(c);
          return (
            <li key={c.field} class={{ '+': 'added', '-': 'removed', '~': 'changed' }[sign]}>
              <code>{c.field}</code>: {values}
            </li>
          );
        })}
      </ul>
      <div class="buttons">
        <button type="button" onClick={onKeep}>
          Keep my edits on top of revision {conflict.current.revision}
        </button>
        <button type="button" onClick={onDiscard}>
          Discard my edits
        </button>
      </div>
    </div>
  );
}

/** A field's messages as shown beside it: those of a part of it (`env.1X`, `run_after.0.job`) say which part. */
function messagesOf(errors: FieldErrors, field: string): string[] {
  return errors.map((e) => (e.field === field ? e.message : `${e.field.slice(field.length + 1)}: ${e.message}`));
}

/** An input's attributes for its field's errors: invalid, and described by their messages. */
const invalid = (id: string, errors: FieldErrors) =>
  invalidProps(
    id,
    errors.map((e) => e.message),
  );

function Field({
  id,
  label,
  hint,
  messages,
  children,
}: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  messages: string[];
  children: ComponentChildren;
}) {
  return (
    <div class={`field${messages.length ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && <small class="hint">{hint}</small>}
      <FieldMessages id={id} messages={messages} />
    </div>
  );
}

function Fields({
  draft,
  onChange,
  errors,
  secrets,
  jobs,
  roles,
}: {
  draft: Draft;
  onChange: (draft: Draft) => void;
  errors: FieldErrors;
  secrets: string[];
  /** The names of the project's other jobs. */
  jobs: string[];
  roles: string[];
}) {
  const set = (changes: Partial<Draft>) => onChange({ ...draft, ...changes });
  /** A text input bound to one field of the draft, showing that field's errors. */
  const text = (
    field: keyof Draft & string,
    label: string,
    options: { apiField?: string; hint?: ComponentChildren; type?: string; placeholder?: string; list?: string } = {},
  ) => {
    const id = `job-${field}`;
    const own = errorsOf(errors, options.apiField ?? field);
    return (
      <Field id={id} label={label} hint={options.hint} messages={messagesOf(own, options.apiField ?? field)}>
        <input
          id={id}
          type={options.type ?? 'text'}
          inputMode={options.type === 'number' ? 'decimal' : undefined}
          value={draft[field] as string}
          placeholder={options.placeholder}
          list={options.list}
          onInput={(e) => set({ [field]: (e.target as HTMLInputElement).value })}
          {...invalid(id, own)}
        />
      </Field>
    );
  };
  /** A number field; empty, it shows the default it gets. */
  const number = (field: keyof Draft & string, label: string, fallback: string | number) =>
    text(field, label, { type: 'number', placeholder: String(fallback) });
  const choice = (
    field: keyof Draft & string,
    label: string,
    values: readonly (string | number)[],
    fallback: string,
  ) => {
    const id = `job-${field}`;
    const own = errorsOf(errors, field);
    return (
      <Field id={id} label={label} messages={messagesOf(own, field)}>
        <select
          id={id}
          value={draft[field] as string}
          onChange={(e) => set({ [field]: (e.target as HTMLSelectElement).value })}
          {...invalid(id, own)}
        >
          <option value="">{fallback}</option>
          <Options values={values} />
        </select>
      </Field>
    );
  };
  return (
    <>
      <fieldset>
        <legend>Job</legend>
        {text('name', 'Name', { hint: 'Letters, digits, space, . _ -; unique in the project' })}
        {text('image', 'Image', { placeholder: 'public.ecr.aws/docker/library/alpine:3.20' })}
        <CommandField draft={draft} set={set} errors={errorsOf(errors, 'command')} />
      </fieldset>

      <fieldset>
        <legend>Schedule</legend>
        {text('schedule', 'Cron schedule (empty: on demand only)', {
          placeholder: '0 3 * * 1-5',
          hint: 'Five fields (minute hour day month weekday) or @hourly, @daily, @weekly, @monthly, @yearly',
        })}
        {text('timezone', 'Time zone', { list: 'time-zones', placeholder: 'UTC' })}
        <datalist id="time-zones">
          {TIME_ZONES.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <SchedulePreview cron={draft.schedule} timeZone={draft.timezone} />
        {number('schedule_jitter_seconds', 'Jitter (seconds a fire may start late)', DEFAULTS.schedule_jitter_seconds)}
        <div class="field check">
          <input
            id="job-suspended"
            type="checkbox"
            checked={draft.suspended}
            onChange={(e) => set({ suspended: (e.target as HTMLInputElement).checked })}
          />
          <label for="job-suspended">Suspended: the schedule does not fire</label>
        </div>
      </fieldset>

      <fieldset>
        <legend>Environment and secrets</legend>
        <RowsField
          field="env"
          label="Env"
          addLabel="Add a variable"
          keyLabel="Name"
          valueLabel="Value"
          rows={draft.env}
          onChange={(env) => set({ env })}
          errors={errors}
        />
        <RowsField
          field="secrets"
          label="Secrets as variables"
          addLabel="Add a secret"
          keyLabel="Variable"
          valueLabel="Secret (name, or name#key)"
          rows={draft.secrets}
          onChange={(rows) => set({ secrets: rows })}
          errors={errors}
          valueList="secret-names"
          hint={
            secrets.length
              ? 'Each attempt reads the secret’s current value as its container starts.'
              : 'The project has no secrets yet: set one on its Secrets page.'
          }
        />
        <datalist id="secret-names">
          {secrets.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        {choice(
          'registry_credentials',
          'Registry login (a secret of {"username", "password"})',
          secrets,
          'none: a public image',
        )}
      </fieldset>

      <fieldset>
        <legend>Size and tasks</legend>
        {choice('cpu', 'vCPU', FARGATE_CPUS, `default (${DEFAULTS.cpu})`)}
        {text('memory_mb', 'Memory (MiB)', {
          type: 'number',
          placeholder: 'paired with the vCPU',
          hint: 'A size Fargate pairs with the vCPU; left empty, the smallest',
        })}
        {number('tasks', 'Tasks a run is split into', DEFAULTS.tasks)}
        {number('parallelism', 'Tasks at once', 'min(tasks, 10)')}
        {number('timeout_seconds', 'Timeout (seconds)', DEFAULTS.timeout_seconds)}
      </fieldset>

      <fieldset>
        <legend>Retries</legend>
        {number('retries', 'Retries', DEFAULTS.retries)}
        <RetryRulesField draft={draft} set={set} errors={errors} />
      </fieldset>

      <fieldset>
        <legend>Starting</legend>
        {choice('concurrency', 'When a run is still going', CONCURRENCY_POLICIES, `default (${DEFAULTS.concurrency})`)}
        {number('priority', 'Priority (higher starts first when runs wait)', DEFAULTS.priority)}
        {number('queue_timeout_seconds', 'Longest wait to start (seconds)', DEFAULTS.queue_timeout_seconds)}
        <RunAfterField draft={draft} set={set} errors={errors} names={jobs} />
      </fieldset>

      <fieldset>
        <legend>Network and identity</legend>
        {choice('network', 'Network', NETWORKS, `default (${DEFAULTS.network})`)}
        {text('task_role', 'Task role (IAM role ARN in AWS)', {
          list: 'task-roles',
          placeholder: 'none: no AWS permissions',
        })}
        <datalist id="task-roles">
          {roles.map((role) => (
            <option key={role} value={role} />
          ))}
        </datalist>
      </fieldset>

      <fieldset>
        <legend>Tags, history and alerts</legend>
        <RowsField
          field="tags"
          label="Tags"
          addLabel="Add a tag"
          keyLabel="Key"
          valueLabel="Value"
          rows={draft.tags}
          onChange={(tags) => set({ tags })}
          errors={errors}
        />
        {text('history_max_runs', 'Finished runs kept', {
          apiField: 'history.max_runs',
          type: 'number',
          placeholder: String(DEFAULTS.history.max_runs),
        })}
        {text('history_max_age_days', 'Days a finished run is kept', {
          apiField: 'history.max_age_days',
          type: 'number',
          placeholder: String(DEFAULTS.history.max_age_days),
        })}
        {ALERT_RULES.map((rule) => (
          <AlertField key={rule} rule={rule} draft={draft} set={set} errors={errorsOf(errors, `alerts.${rule}`)} />
        ))}
        <FieldMessages
          id="job-alerts"
          messages={messagesOf(
            errors.filter((e) => e.field === 'alerts'),
            'alerts',
          )}
        />
      </fieldset>
    </>
  );
}

const ALERT_LABELS: Record<AlertRule, string> = {
  consecutive_failures: 'Alert after this many failures in a row',
  missed_schedule_seconds: 'Alert when a fire made no run after (seconds)',
  max_duration_seconds: 'Alert when a run is still running after (seconds)',
  pause_after_failures: 'Suspend the schedule after this many failures in a row',
};

function AlertField({
  rule,
  draft,
  set,
  errors,
}: {
  rule: AlertRule;
  draft: Draft;
  set: (changes: Partial<Draft>) => void;
  errors: FieldErrors;
}) {
  const id = `job-alerts-${rule}`;
  return (
    <Field id={id} label={ALERT_LABELS[rule]} messages={messagesOf(errors, `alerts.${rule}`)}>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        placeholder="off"
        value={draft.alerts[rule]}
        onInput={(e) => set({ alerts: { ...draft.alerts, [rule]: (e.target as HTMLInputElement).value } })}
        {...invalid(id, errors)}
      />
    </Field>
  );
}

function CommandField({
  draft,
  set,
  errors,
}: {
  draft: Draft;
  set: (changes: Partial<Draft>) => void;
  errors: FieldErrors;
}) {
  const id = 'job-command';
  return (
    <Field
      id={id}
      label={
        draft.commandMode === 'shell' ? 'Command (a shell script, run by /bin/sh -c)' : 'Command (one argument a line)'
      }
      messages={messagesOf(errors, 'command')}
    >
      <div class="radios" role="radiogroup" aria-label="Command form">
        {(['shell', 'exec'] as const).map((mode) => (
          <label key={mode}>
            <input
              type="radio"
              name="command-mode"
              checked={draft.commandMode === mode}
              onChange={() => set({ commandMode: mode })}
            />{' '}
            {mode === 'shell' ? 'Shell script' : 'Exec form'}
          </label>
        ))}
      </div>
      <textarea
        id={id}
        class="code"
        rows={3}
        spellcheck={false}
        value={draft.command}
        onInput={(e) => set({ command: (e.target as HTMLTextAreaElement).value })}
        {...invalid(id, errors)}
      />
    </Field>
  );
}

/** The words of a schedule and its next five fires in its time zone, as it is typed. */
function SchedulePreview({ cron, timeZone }: { cron: string; timeZone: string }) {
  const zone = timeZone.trim() || 'UTC';
  let body: ComponentChildren;
  if (!cron.trim()) body = 'On demand: runs only when started.';
  else {
    try {
      const fires = nextFires(cron.trim(), zone, 5);
      body = (
        <>
          {scheduleWords(cron.trim(), zone)}. Next fires:
          <ol class="fires">
            {fires.map((at) => (
              <li key={at.getTime()}>
                <time dateTime={at.toISOString()} title={time(at.toISOString())}>
                  {zonedTime(at.toISOString(), zone)}
                </time>
              </li>
            ))}
          </ol>
        </>
      );
    } catch (e) {
      body = `Not a schedule yet: ${(e as Error).message}`;
    }
  }
  return (
    <div class="schedule-preview" aria-live="polite">
      {body}
    </div>
  );
}

/**
 * A field that is a list: a row per item (what `row` draws, bound to its item) with Remove, Add, and the list's
 * errors under it (`field.N…` say which item).
 */
function ListField<T>({
  id,
  field,
  legend,
  items,
  onChange,
  row,
  blank,
  addLabel,
  addDisabled = false,
  errors,
  hint,
}: {
  id: string;
  field: string;
  legend: string;
  items: T[];
  onChange: (items: T[]) => void;
  row: (item: T, i: number, update: (changes: Partial<T>) => void) => ComponentChildren;
  blank: () => T;
  addLabel: string;
  addDisabled?: boolean;
  errors: FieldErrors;
  hint?: string;
}) {
  const own = errorsOf(errors, field);
  const update = (i: number) => (changes: Partial<T>) =>
    onChange(items.map((item, j) => (j === i ? { ...item, ...changes } : item)));
  return (
    <fieldset class={`field rows${own.length ? ' has-error' : ''}`}>
      <legend>{legend}</legend>
      {items.map((item, i) => (
        <div class="row" key={i}>
          {row(item, i, update(i))}
          <button type="button" class="link" onClick={() => onChange(items.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="add" disabled={addDisabled} onClick={() => onChange([...items, blank()])}>
        {addLabel}
      </button>
      {hint && <small class="hint">{hint}</small>}
      <FieldMessages id={id} messages={messagesOf(own, field)} />
    </fieldset>
  );
}

/** A map field (env, secrets, tags) as name/value rows. */
function RowsField({
  field,
  label,
  keyLabel,
  valueLabel,
  rows,
  onChange,
  errors,
  valueList,
  hint,
  addLabel,
}: {
  field: 'env' | 'secrets' | 'tags';
  label: string;
  addLabel: string;
  keyLabel: string;
  valueLabel: string;
  rows: Row[];
  onChange: (rows: Row[]) => void;
  errors: FieldErrors;
  valueList?: string;
  hint?: string;
}) {
  const id = `job-${field}`;
  return (
    <ListField
      id={id}
      field={field}
      legend={label}
      items={rows}
      onChange={onChange}
      blank={() => ({ key: '', value: '' })}
      addLabel={addLabel}
      errors={errors}
      hint={hint}
      row={(row, i, update) => (
        <>
          <input
            aria-label={`${label}: ${keyLabel.toLowerCase()} ${i + 1}`}
            value={row.key}
            placeholder={keyLabel}
            onInput={(e) => update({ key: (e.target as HTMLInputElement).value })}
            {...invalid(id, errorsOf(errors, `${field}.${row.key}`))}
          />
          <input
            aria-label={`${label}: ${valueLabel.toLowerCase()} ${i + 1}`}
            value={row.value}
            placeholder={valueLabel}
            list={valueList}
            onInput={(e) => update({ value: (e.target as HTMLInputElement).value })}
          />
        </>
      )}
    />
  );
}

function RetryRulesField({
  draft,
  set,
  errors,
}: {
  draft: Draft;
  set: (changes: Partial<Draft>) => void;
  errors: FieldErrors;
}) {
  return (
    <ListField
      id="job-retry-rules"
      field="retry_rules"
      legend="Retry rules (first match wins)"
      items={draft.retry_rules}
      onChange={(retry_rules) => set({ retry_rules })}
      blank={() => ({ exit_codes: '', action: 'fail' })}
      addLabel="Add rule"
      errors={errors}
      row={(rule, i, update) => (
        <>
          <input
            aria-label={`Rule ${i + 1}: exit codes`}
            value={rule.exit_codes}
            placeholder="2, 64"
            onInput={(e) => update({ exit_codes: (e.target as HTMLInputElement).value })}
            {...invalid('job-retry-rules', errorsOf(errors, `retry_rules.${i}`))}
          />
          <select
            aria-label={`Rule ${i + 1}: action`}
            value={rule.action}
            onChange={(e) => update({ action: (e.target as HTMLSelectElement).value })}
          >
            <Options values={RETRY_ACTIONS} />
          </select>
        </>
      )}
    />
  );
}

/** A select's options, each value as it reads. */
function Options({ values }: { values: readonly (string | number)[] }) {
  return (
    <>
      {values.map((value) => (
        <option key={value} value={String(value)}>
          {value}
        </option>
      ))}
    </>
  );
}

function RunAfterField({
  draft,
  set,
  errors,
  names,
}: {
  draft: Draft;
  set: (changes: Partial<Draft>) => void;
  errors: FieldErrors;
  names: string[];
}) {
  return (
    <ListField
      id="job-run-after"
      field="run_after"
      legend="Run after (a run starts when one of these ends so)"
      items={draft.run_after}
      onChange={(run_after) => set({ run_after })}
      blank={() => ({ job: names[0] ?? '', on: 'succeeded' })}
      addLabel="Add a job to run after"
      addDisabled={names.length === 0}
      errors={errors}
      row={(edge, i, update) => (
        <>
          <select
            aria-label={`Run after ${i + 1}: job`}
            value={edge.job}
            onChange={(e) => update({ job: (e.target as HTMLSelectElement).value })}
            {...invalid('job-run-after', errorsOf(errors, `run_after.${i}`))}
          >
            {[...new Set([edge.job, ...names])].map((name) => (
              <option key={name} value={name}>
                {name || 'pick a job'}
              </option>
            ))}
          </select>
          <select
            aria-label={`Run after ${i + 1}: when it`}
            value={edge.on}
            onChange={(e) => update({ on: (e.target as HTMLSelectElement).value })}
          >
            <Options values={CHAIN_CONDITIONS} />
          </select>
        </>
      )}
    />
  );
}
