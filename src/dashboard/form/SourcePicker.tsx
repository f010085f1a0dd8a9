import type { SourceView } from '../api/types.js';
import { FieldError } from '../components/Field.js';
import { kindLabel } from '../sources/sourceForm.js';

/** Which sources an export takes: every source (also later ones), or those ticked. */
export function SourcePicker({
  sources,
  selected,
  error,
  onChange,
}: {
  sources: readonly SourceView[];
  selected: ReadonlySet<string> | null;
  error: string | undefined;
  onChange: (selected: ReadonlySet<string> | null) => void;
}) {
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected ?? []);
    if (on) next.add(id);
    else next.delete(id);
    onChange(next);
  };
  return (
    <fieldset className={`group${error !== undefined ? ' invalid' : ''}`} id="f-sources" tabIndex={-1}>
      <legend>Sources</legend>
      <div className="check">
        <input
          type="radio"
          id="f-sources-all"
          name="sources-kind"
          checked={selected === null}
          onChange={() => onChange(null)}
        />
        <label htmlFor="f-sources-all">Every source, also those added later</label>
      </div>
      <div className="check">
        <input
          type="radio"
          id="f-sources-some"
          name="sources-kind"
          checked={selected !== null}
          onChange={() => onChange(new Set(selected ?? sources.map((s) => s.id)))}
        />
        <label htmlFor="f-sources-some">Only the sources ticked below</label>
      </div>
      {selected !== null && (
        <ul className="plain source-choices">
          {sources.map((s) => (
            <li key={s.id} className="check">
              <input
                type="checkbox"
                id={`f-source-${s.id}`}
                checked={selected.has(s.id)}
                onChange={(e) => toggle(s.id, e.target.checked)}
              />
              <label htmlFor={`f-source-${s.id}`}>
                {s.name}{' '}
                <span className="muted">
                  ({kindLabel(s.kind)}, {s.id})
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {error !== undefined && <FieldError id="f-sources-error" message={error} />}
    </fieldset>
  );
}
