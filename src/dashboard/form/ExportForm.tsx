import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/client.js';
import type { CatalogField, CatalogType, CredentialCheck, ExportView, Slot, SourceView } from '../api/types.js';
import { LoadError, Loading } from '../components/common.js';
import { Field } from '../components/Field.js';
import { slotLabel } from '../format.js';
import { useApi, useFocusHeading, usePoll, useTitle } from '../hooks.js';
import { Link, navigate, paths } from '../router.js';
import { CredentialResults } from './CredentialTest.js';
import { EventChecklist } from './EventChecklist.js';
import { FeedFields } from './FeedFields.js';
import { DestinationFields } from './DestinationFields.js';
import { ErrorSummary } from './ErrorSummary.js';
import { SourcePicker } from './SourcePicker.js';
import { StartFrom } from './StartFrom.js';
import { TransformationList } from './TransformationList.js';
import {
  createBody,
  credentialTest,
  emptyForm,
  fieldIdOf,
  formFromExport,
  IDENTITIES,
  localErrors,
  patchBody,
  readableFieldError,
  type FeedInput,
  type FormState,
} from './formState.js';

interface Loaded {
  catalog: CatalogType[];
  fields: CatalogField[];
  current: ExportView | null;
  sources: SourceView[];
}

/** "Currents > Create Current > mParticle Export", and the same form to edit an export. */
export function ExportForm({ id, focus }: { id: string | null; focus: string | null }) {
  const { data, error, reload } = usePoll<Loaded>(
    async (api) => {
      const [{ types: catalog, fields }, current, sources] = await Promise.all([
        api.get<{ types: CatalogType[]; fields: CatalogField[] }>('/v1/catalog'),
        id === null ? Promise.resolve(null) : api.get<ExportView>(`/v1/exports/${encodeURIComponent(id)}`),
        api.get<{ sources: SourceView[] }>('/v1/sources').then((r) => r.sources),
      ]);
      return { catalog, fields, current, sources };
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
  fields,
  current,
  sources,
}: Loaded & { id: string | null; focus: string | null; heading: string }) {
  const api = useApi();
  const [state, setState] = useState<FormState>(() => (current ? formFromExport(current) : emptyForm(catalog)));
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string[]>([]);
  const [lead, setLead] = useState<string | null>(null);
  /** After a first try to save, the local checks run as the user types: a fixed field loses its mark at once. */
  const [tried, setTried] = useState(false);
  const errors = tried ? { ...serverErrors, ...localErrors(state) } : serverErrors;
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

  const showErrors = (fieldErrors: Record<string, string>, general: string[], said: string | null = null) => {
    setServerErrors(fieldErrors);
    setSummary(general);
    setLead(said);
    requestAnimationFrame(() => summaryRef.current?.focus());
  };

  /** The service's answer: its sentence at the top, and each field it names marked (those it cannot place listed). */
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
      showErrors(fieldErrors, general, e.message);
    } else {
      showErrors({}, [messageOf(e)]);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (Object.keys(localErrors(state)).length > 0) {
      showErrors({}, []);
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
    setServerErrors({});
    setSummary([]);
    setLead(null);
    try {
      const test = credentialTest(id, state);
      const r = await api.post<{ feeds: CredentialCheck[] }>(test.path, test.body);
      setChecks(r.feeds);
      if (test.keyOnly.length > 0) {
        setCheckNote(
          `Tested with the stored key for ${test.keyOnly.map(slotLabel).join(', ')}: type the new key's secret too to test the new key.`,
        );
      }
    } catch (err) {
      apiErrors(err);
    } finally {
      setBusy(null);
    }
  };

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
      <ErrorSummary anchor={summaryRef} fields={errors} general={summary} lead={lead} />
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

        <DestinationFields state={state} errors={errors} set={set} />

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

        <SourcePicker
          sources={sources}
          selected={state.sources}
          error={errors['f-sources']}
          onChange={(picked) => set({ sources: picked })}
        />

        {id === null && (
          <StartFrom
            kind={state.startKind}
            time={state.startTime}
            error={errors['f-from']}
            onChange={(change) => set(change)}
          />
        )}

        <EventChecklist
          catalog={catalog}
          selected={state.events}
          error={errors['f-events']}
          onChange={(events) => set({ events })}
        />

        <TransformationList
          fields={fields}
          rows={state.transformations}
          selectedTypes={state.events}
          identity={state.identity}
          errors={errors}
          answer={serverErrors}
          onChange={(transformations) => set({ transformations })}
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
