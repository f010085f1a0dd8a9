import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/client.js';
import type { CatalogType, CredentialCheck, ExportView, Slot } from '../api/types.js';
import { PODS, SLOTS } from '../api/types.js';
import { LoadError, Loading } from '../components/common.js';
import { Field } from '../components/Field.js';
import { useApi, useFocusHeading, usePoll, useTitle } from '../hooks.js';
import { Link, navigate, paths } from '../router.js';
import { CredentialResults } from './CredentialTest.js';
import { EventChecklist } from './EventChecklist.js';
import { FeedFields } from './FeedFields.js';
import {
  createBody,
  destinationOf,
  emptyForm,
  fieldIdOf,
  formFromExport,
  localErrors,
  newFeeds,
  patchBody,
  readableFieldError,
  type FeedInput,
  type FormState,
} from './formState.js';

const IDENTITIES: [string, string][] = [
  ['customer_id', 'Customer ID'],
  ['email', 'Email'],
  ['other', 'Other'],
  ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((n): [string, string] => [`other_id_${n}`, `Other ID ${n}`]),
];

interface Loaded {
  catalog: CatalogType[];
  current: ExportView | null;
}

/** "Currents > Create Current > mParticle Export", and the same form to edit an export. */
export function ExportForm({ id, focus }: { id: string | null; focus: string | null }) {
  const { data, error, reload } = usePoll<Loaded>(
    async (api) => {
      const [catalog, current] = await Promise.all([
        api.get<{ types: CatalogType[] }>('/v1/catalog').then((r) => r.types),
        id === null ? Promise.resolve(null) : api.get<ExportView>(`/v1/exports/${encodeURIComponent(id)}`),
      ]);
      return { catalog, current };
    },
    0,
    id ?? 'new',
  );
  const heading = id === null ? 'Create mParticle export' : 'Edit export';
  useTitle(heading);
  if (error !== null) {
    return (
      <section>
        <h1 tabIndex={-1}>{heading}</h1>
        <LoadError error={error} retry={reload} />
      </section>
    );
  }
  if (data === null) return <Loading what="the event catalog" />;
  return <LoadedForm id={id} focus={focus} heading={heading} {...data} />;
}

function LoadedForm({
  id,
  focus,
  heading,
  catalog,
  current,
}: Loaded & { id: string | null; focus: string | null; heading: string }) {
  const api = useApi();
  const [state, setState] = useState<FormState>(() => (current ? formFromExport(current) : emptyForm(catalog)));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string[]>([]);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [checks, setChecks] = useState<CredentialCheck[] | null>(null);
  const [checkNote, setCheckNote] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const headingRef = useFocusHeading<HTMLHeadingElement>(id ?? 'new');

  useEffect(() => {
    // Arriving from "update the key": go straight to that feed's key.
    if (focus === null) return;
    const slot = focus.replace(/^feed-/, '');
    const input = document.getElementById(`f-${slot}-key`);
    if (input instanceof HTMLInputElement) {
      input.scrollIntoView({ block: 'center' });
      input.focus();
    }
  }, [focus]);

  const set = (change: Partial<FormState>) => setState((s) => ({ ...s, ...change }));
  const setFeed = (slot: Slot, change: Partial<FeedInput>) =>
    setState((s) => ({ ...s, feeds: { ...s.feeds, [slot]: { ...s.feeds[slot], ...change } } }));

  const showErrors = (fieldErrors: Record<string, string>, general: string[]) => {
    setErrors(fieldErrors);
    setSummary(general);
    requestAnimationFrame(() => summaryRef.current?.focus());
  };

  const apiErrors = (e: unknown) => {
    if (e instanceof ApiError && Object.keys(e.fields).length > 0) {
      const fieldErrors: Record<string, string> = {};
      const general: string[] = [];
      for (const [path, message] of Object.entries(e.fields)) {
        const field = fieldIdOf(path, state);
        const text = readableFieldError(path, message, state);
        if (field === null) general.push(`${path}: ${text}`);
        else fieldErrors[field] ??= text;
      }
      showErrors(fieldErrors, general);
    } else {
      showErrors({}, [messageOf(e)]);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = localErrors(state);
    if (Object.keys(local).length > 0) {
      showErrors(local, []);
      return;
    }
    setBusy('save');
    try {
      const saved =
        id === null
          ? await api.post<ExportView>('/v1/exports', createBody(state))
          : await api.patch<ExportView>(`/v1/exports/${encodeURIComponent(id)}`, patchBody(state));
      navigate(paths.export(saved.id));
    } catch (err) {
      apiErrors(err);
    } finally {
      setBusy(null);
    }
  };

  const testCredentials = async () => {
    setBusy('test');
    setChecks(null);
    setCheckNote(null);
    setErrors({});
    setSummary([]);
    try {
      if (id === null) {
        const r = await api.post<{ feeds: CredentialCheck[] }>('/v1/test-credentials', {
          destination: destinationOf(state),
          feeds: newFeeds(state),
        });
        setChecks(r.feeds);
      } else {
        // Stored secrets never come back to the page: the service tests them, with any replacements typed here.
        const replacements: Partial<Record<Slot, { key: string; secret: string }>> = {};
        const keyOnly: string[] = [];
        for (const slot of SLOTS) {
          const f = state.feeds[slot];
          if (f.remove) continue;
          if (f.secret !== '' && f.key.trim() !== '') replacements[slot] = { key: f.key.trim(), secret: f.secret };
          else if (f.existing && f.key.trim() !== f.originalKey) keyOnly.push(slot);
        }
        const r = await api.post<{ feeds: CredentialCheck[] }>(
          `/v1/exports/${encodeURIComponent(id)}/test-credentials`,
          { feeds: replacements },
        );
        setChecks(r.feeds);
        if (keyOnly.length > 0) {
          setCheckNote(
            `Tested with the stored key for ${keyOnly.join(', ')}: type the new key's secret too to test the new key.`,
          );
        }
      }
    } catch (err) {
      apiErrors(err);
    } finally {
      setBusy(null);
    }
  };

  const errorCount = Object.keys(errors).length + summary.length;
  return (
    <section aria-labelledby="form-heading">
      <p className="breadcrumb">
        <Link to={paths.list()}>Exports</Link> ›{' '}
        {current ? <Link to={paths.export(current.id)}>{current.name}</Link> : 'Create Current'} ›{' '}
        {current ? 'Edit' : 'mParticle Export'}
      </p>
      <h1 id="form-heading" ref={headingRef} tabIndex={-1}>
        {heading}
      </h1>
      <div ref={summaryRef} tabIndex={-1} className="error-summary-anchor">
        {errorCount > 0 && (
          <div className="notice bad" role="alert">
            <p>
              <strong>
                {errorCount === 1 ? 'One thing needs fixing' : `${errorCount} things need fixing`} before this can be
                saved:
              </strong>
            </p>
            <ul>
              {Object.entries(errors).map(([field, message]) => (
                <li key={field}>
                  <a href={`#${field}`}>{message}</a>
                </li>
              ))}
              {summary.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
      <form onSubmit={(e) => void submit(e)} noValidate className="export-form">
        <fieldset className="group">
          <legend>Integration details</legend>
          <Field id="f-name" label="Integration name" error={errors['f-name']}>
            {(p) => <input {...p} type="text" value={state.name} onChange={(e) => set({ name: e.target.value })} />}
          </Field>
          <Field
            id="f-contact-email"
            label="Contact email"
            hint="Told when mParticle refuses a feed's credentials."
            error={errors['f-contact-email']}
          >
            {(p) => (
              <input
                {...p}
                type="email"
                autoComplete="email"
                value={state.contactEmail}
                onChange={(e) => set({ contactEmail: e.target.value })}
              />
            )}
          </Field>
        </fieldset>

        <fieldset className="group">
          <legend>Destination</legend>
          <fieldset className="radios">
            <legend className="label">Where mParticle's Events API is</legend>
            <div className="check">
              <input
                type="radio"
                id="f-kind-pod"
                name="destination-kind"
                checked={state.destinationKind === 'pod'}
                onChange={() => set({ destinationKind: 'pod' })}
              />
              <label htmlFor="f-kind-pod">An mParticle pod</label>
            </div>
            <div className="check">
              <input
                type="radio"
                id="f-kind-url"
                name="destination-kind"
                checked={state.destinationKind === 'base_url'}
                onChange={() => set({ destinationKind: 'base_url' })}
              />
              <label htmlFor="f-kind-url">A base URL (the sandbox, a proxy)</label>
            </div>
          </fieldset>
          {state.destinationKind === 'pod' ? (
            <Field id="f-pod" label="mParticle pod" error={errors['f-pod']}>
              {(p) => (
                <select {...p} value={state.pod} onChange={(e) => set({ pod: e.target.value as FormState['pod'] })}>
                  {PODS.map((pod) => (
                    <option key={pod} value={pod}>
                      {pod}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            <Field
              id="f-base-url"
              label="Base URL"
              hint="Without /v2; for the local sandbox, http://127.0.0.1:7701."
              error={errors['f-base-url']}
            >
              {(p) => (
                <input
                  {...p}
                  type="url"
                  inputMode="url"
                  spellCheck={false}
                  value={state.baseUrl}
                  onChange={(e) => set({ baseUrl: e.target.value })}
                />
              )}
            </Field>
          )}
          <Field id="f-environment" label="Environment" error={errors['f-environment']}>
            {(p) => (
              <select
                {...p}
                value={state.environment}
                onChange={(e) => set({ environment: e.target.value as FormState['environment'] })}
              >
                <option value="production">Production</option>
                <option value="development">Development</option>
              </select>
            )}
          </Field>
        </fieldset>

        <FeedFields feeds={state.feeds} errors={errors} onChange={setFeed} />
        <div className="test-credentials">
          <button type="button" className="secondary" onClick={() => void testCredentials()} disabled={busy !== null}>
            {busy === 'test' ? 'Testing credentials…' : 'Test credentials'}
          </button>
          <CredentialResults results={checks} note={checkNote} />
        </div>

        <fieldset className="group">
          <legend>Identity and hold</legend>
          <Field
            id="f-identity"
            label="Map the external user id to"
            hint="The mParticle identity that receives Braze's external_user_id."
            error={errors['f-identity']}
          >
            {(p) => (
              <select {...p} value={state.identity} onChange={(e) => set({ identity: e.target.value })}>
                {IDENTITIES.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label} ({value})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id="f-hold"
            label="Hold window (hours)"
            hint="How long events are kept for a feed whose credentials mParticle refuses, before they are dropped."
            error={errors['f-hold']}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="decimal"
                min="0"
                max="720"
                step="any"
                value={state.holdWindowHours}
                onChange={(e) => set({ holdWindowHours: e.target.value })}
              />
            )}
          </Field>
        </fieldset>

        <EventChecklist
          catalog={catalog}
          selected={state.events}
          error={errors['f-events']}
          onChange={(events) => set({ events })}
        />

        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy !== null}>
            {busy === 'save' ? (id === null ? 'Launching…' : 'Saving…') : id === null ? 'Launch' : 'Save changes'}
          </button>
          <Link to={current ? paths.export(current.id) : paths.list()} className="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
