import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, messageOf } from '../api/client.js';
import type { SourceView } from '../api/types.js';
import { Field } from '../components/Field.js';
import { ErrorSummary } from '../form/ErrorSummary.js';
import { useApi, useFocusHeading, useTitle } from '../hooks.js';
import { Link, navigate, paths } from '../router.js';
import { emptySourceForm, KINDS, sourceBody, sourceFieldId, type SourceFormState } from './sourceForm.js';
import { TokenOnce } from './TokenOnce.js';

/** "Add a source": its kind, then the settings that kind takes. An http source's token is shown once, here. */
export function SourceForm() {
  const api = useApi();
  const heading = useFocusHeading<HTMLHeadingElement>('new-source');
  useTitle('Add a source');
  const [state, setState] = useState<SourceFormState>(emptySourceForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<(SourceView & { token?: string }) | null>(null);
  const summary = useRef<HTMLDivElement>(null);
  const set = (change: Partial<SourceFormState>) => setState((s) => ({ ...s, ...change }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (state.name.trim() === '') {
      setErrors({ 's-name': 'Give the source a name, such as the Braze workspace it comes from.' });
      setGeneral([]);
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    setBusy(true);
    try {
      const source = await api.post<SourceView & { token?: string }>('/v1/sources', sourceBody(state));
      if (source.token === undefined) navigate(paths.source(source.id));
      else setCreated(source);
    } catch (err) {
      const fields: Record<string, string> = {};
      const rest: string[] = [];
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        for (const [path, message] of Object.entries(err.fields)) {
          const text = message.charAt(0).toUpperCase() + message.slice(1);
          const id = sourceFieldId(path);
          if (id === null) rest.push(`${path}: ${text}`);
          else fields[id] ??= text;
        }
      } else {
        rest.push(messageOf(err));
      }
      setErrors(fields);
      setGeneral(rest);
      requestAnimationFrame(() => summary.current?.focus());
    } finally {
      setBusy(false);
    }
  };

  if (created !== null && created.token !== undefined) {
    return (
      <section aria-labelledby="new-source-heading">
        <p className="breadcrumb">
          <Link to={paths.sources()}>Sources</Link> › {created.name}
        </p>
        <h1 id="new-source-heading" ref={heading} tabIndex={-1}>
          Source created
        </h1>
        <TokenOnce id={created.id} name={created.name} token={created.token} />
        <div className="form-actions">
          <Link to={paths.source(created.id)} className="button primary">
            I have copied the token: go to the source
          </Link>
        </div>
      </section>
    );
  }

  const text = (id: string, label: string, key: keyof SourceFormState, hint?: ReactNode, type = 'text') => (
    <Field id={id} label={label} hint={hint} error={errors[id]}>
      {(p) => (
        <input
          {...p}
          type={type}
          spellCheck={false}
          autoComplete="off"
          value={state[key] as string}
          onChange={(e) => set({ [key]: e.target.value })}
        />
      )}
    </Field>
  );

  return (
    <section aria-labelledby="new-source-heading">
      <p className="breadcrumb">
        <Link to={paths.sources()}>Sources</Link> › Add a source
      </p>
      <h1 id="new-source-heading" ref={heading} tabIndex={-1}>
        Add a source
      </h1>
      <ErrorSummary anchor={summary} fields={errors} general={general} />
      <form onSubmit={(e) => void submit(e)} noValidate className="source-form">
        <fieldset className="group">
          <legend>The source</legend>
          {text('s-name', 'Name', 'name', 'The Braze workspace, e.g. “Brand A production”.')}
          {text('s-id', 'Id (optional)', 'id', 'What exports and ?source= name it by; generated when left empty.')}
          <fieldset className="radios">
            <legend className="label">How Braze hands its Currents over</legend>
            {KINDS.map((k) => (
              <div className="check" key={k.kind}>
                <input
                  type="radio"
                  id={`s-kind-${k.kind}`}
                  name="source-kind"
                  checked={state.kind === k.kind}
                  onChange={() => set({ kind: k.kind })}
                  aria-describedby={`s-kind-${k.kind}-hint`}
                />
                <label htmlFor={`s-kind-${k.kind}`}>{k.label}</label>
                <span className="hint" id={`s-kind-${k.kind}-hint`}>
                  {' '}
                  {k.hint}
                </span>
              </div>
            ))}
          </fieldset>
        </fieldset>

        {state.kind !== 'http' && (
          <fieldset className="group">
            <legend>Where the files are</legend>
            {state.kind === 'azure_blob'
              ? text('s-container', 'Container', 'container')
              : text('s-bucket', 'Bucket', 'bucket')}
            {text('s-prefix', 'Prefix (optional)', 'prefix', 'The prefix set on the Current in Braze, if any.')}
            {state.kind === 's3' && (
              <>
                {text('s-region', 'Region (optional)', 'region', 'Default us-east-1.')}
                {text(
                  's-endpoint',
                  'Endpoint (optional)',
                  'endpoint',
                  'For MinIO or a proxy, e.g. http://127.0.0.1:9000.',
                )}
                <div className="check">
                  <input
                    type="checkbox"
                    id="s-path-style"
                    checked={state.forcePathStyle}
                    onChange={(e) => set({ forcePathStyle: e.target.checked })}
                  />
                  <label htmlFor="s-path-style">Path-style URLs (MinIO, proxies)</label>
                </div>
                {text(
                  's-access-key-id',
                  'Access key id (optional)',
                  'accessKeyId',
                  'Without keys, the standard AWS credential chain is used.',
                )}
                {text(
                  's-secret-access-key',
                  'Secret access key',
                  'secretAccessKey',
                  'Kept encrypted; never shown again.',
                  'password',
                )}
              </>
            )}
            {state.kind === 'azure_blob' &&
              text(
                's-connection-string',
                'Connection string',
                'connectionString',
                'From the storage account’s Access keys. Kept encrypted; never shown again.',
                'password',
              )}
            {state.kind === 'gcs' && (
              <>
                <Field
                  id="s-credentials-json"
                  label="Service account key (optional)"
                  hint="The key file’s JSON; without it, Application Default Credentials. Kept encrypted; never shown again."
                  error={errors['s-credentials-json']}
                >
                  {(p) => (
                    <textarea
                      {...p}
                      rows={4}
                      spellCheck={false}
                      value={state.credentialsJson}
                      onChange={(e) => set({ credentialsJson: e.target.value })}
                    />
                  )}
                </Field>
                {text(
                  's-api-endpoint',
                  'API endpoint (optional)',
                  'apiEndpoint',
                  'For an emulator, e.g. http://127.0.0.1:4443.',
                )}
              </>
            )}
            {text(
              's-poll',
              'Poll every (seconds)',
              'pollIntervalSeconds',
              'Braze writes a file every 5 minutes or so.',
              'number',
            )}
            {text(
              's-from',
              'Import from (optional)',
              'from',
              'Your local time. Empty: from the newest hour when the source starts.',
              'datetime-local',
            )}
          </fieldset>
        )}

        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create source'}
          </button>
          <Link to={paths.sources()} className="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
