import { PODS } from '../api/types.js';
import { Field } from '../components/Field.js';
import type { FormState } from './formState.js';

/** Where the Events API is (a pod, or a base URL such as the sandbox's) and which mParticle environment. */
export function DestinationFields({
  state,
  errors,
  set,
}: {
  state: FormState;
  errors: Record<string, string>;
  set: (change: Partial<FormState>) => void;
}) {
  return (
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
  );
}
