import { useRef } from 'react';
import type { Slot } from '../api/types.js';
import { SLOTS } from '../api/types.js';
import { Field, FieldError } from '../components/Field.js';
import { slotLabel } from '../format.js';
import type { FeedInput } from './formState.js';

const ROUTED: Record<Slot, string> = {
  ios: 'Events of iOS apps.',
  android: 'Events of Android apps.',
  web: 'Events of web apps.',
  unbound:
    'Email, SMS, WhatsApp, webhook, campaign and canvas events, and app events of a platform without its own feed.',
};

/** Key and secret for each of mParticle's four Braze feed inputs. Secrets are write-only. */
export function FeedFields({
  feeds,
  errors,
  onChange,
}: {
  feeds: Record<Slot, FeedInput>;
  errors: Record<string, string>;
  onChange: (slot: Slot, change: Partial<FeedInput>) => void;
}) {
  const secretInputs = useRef<Partial<Record<Slot, HTMLInputElement | null>>>({});
  return (
    <fieldset
      className={`group${errors['f-feeds'] !== undefined ? ' invalid' : ''}`}
      id="f-feeds"
      tabIndex={-1}
      aria-describedby={errors['f-feeds'] !== undefined ? 'f-feeds-hint f-feeds-error' : 'f-feeds-hint'}
    >
      <legend>Feed credentials</legend>
      <p className="hint" id="f-feeds-hint">
        The server-to-server key and secret of each platform feed of mParticle's Braze integration. Give at least one;
        the same key for several platforms makes them one feed.
      </p>
      {errors['f-feeds'] !== undefined && <FieldError id="f-feeds-error" message={errors['f-feeds']} />}
      <div className="feeds">
        {SLOTS.map((slot) => {
          const f = feeds[slot];
          const name = slotLabel(slot);
          const secretShown = !f.existing || f.replaceSecret;
          return (
            <fieldset key={slot} className={`feed${f.remove ? ' removed' : ''}`} id={`feed-${slot}`}>
              <legend>{name}</legend>
              <p className="hint">{ROUTED[slot]}</p>
              <Field id={`f-${slot}-key`} label={`${name} key`} error={errors[`f-${slot}-key`]}>
                {(p) => (
                  <input
                    {...p}
                    type="text"
                    autoComplete="off"
                    spellCheck={false}
                    disabled={f.remove}
                    value={f.key}
                    onChange={(e) => onChange(slot, { key: e.target.value })}
                  />
                )}
              </Field>
              {secretShown ? (
                <Field id={`f-${slot}-secret`} label={`${name} secret`} error={errors[`f-${slot}-secret`]}>
                  {(p) => (
                    <input
                      {...p}
                      ref={(el) => {
                        secretInputs.current[slot] = el;
                      }}
                      type="password"
                      autoComplete="new-password"
                      spellCheck={false}
                      disabled={f.remove}
                      value={f.secret}
                      onChange={(e) => onChange(slot, { secret: e.target.value })}
                    />
                  )}
                </Field>
              ) : (
                <div className="field secret-set">
                  <span id={`f-${slot}-secret-state`}>
                    {name} secret: <strong>set</strong>
                  </span>
                  <button
                    type="button"
                    className="secondary small"
                    aria-describedby={`f-${slot}-secret-state`}
                    disabled={f.remove}
                    onClick={() => {
                      onChange(slot, { replaceSecret: true });
                      // The input appears on the next render; give it the focus then.
                      requestAnimationFrame(() => secretInputs.current[slot]?.focus());
                    }}
                  >
                    Replace {name} secret
                  </button>
                </div>
              )}
              {f.existing && (
                <div className="check">
                  <input
                    type="checkbox"
                    id={`f-${slot}-remove`}
                    checked={f.remove}
                    onChange={(e) => onChange(slot, { remove: e.target.checked })}
                  />
                  <label htmlFor={`f-${slot}-remove`}>Remove the {name} feed</label>
                </div>
              )}
            </fieldset>
          );
        })}
      </div>
    </fieldset>
  );
}
