import { useState } from 'react';
import type { CatalogField, TransformAction, Transformation } from '../api/types.js';
import { FieldError } from '../components/Field.js';

const NONE: ReadonlySet<number> = new Set();

/**
 * "Field transformations" of the export form: one row per Currents field (typed with the catalog's fields offered
 * as the user types), its action, and under it which selected types have the field and what mParticle will do with
 * an identity hashed or removed. The API checks the list again; its messages show under the row.
 */
export function TransformationList({
  fields,
  rows,
  selectedTypes,
  identity,
  errors,
  answer,
  onChange,
}: {
  fields: readonly CatalogField[];
  rows: readonly Transformation[];
  selectedTypes: ReadonlySet<string>;
  identity: string;
  errors: Record<string, string>;
  /** The service's last answer (a new object at each submit): rows changed since are stale. */
  answer: object;
  onChange: (rows: Transformation[]) => void;
}) {
  const byName = new Map(fields.map((f) => [f.name, f]));
  // The API's error on a row was about what it held then: once the row is changed (or rows move), it no longer shows.
  // Kept with the answer they are about: a new answer starts with no row stale.
  const [changed, setChanged] = useState<{ of: object; rows: ReadonlySet<number> }>({ of: answer, rows: new Set() });
  const stale = changed.of === answer ? changed.rows : NONE;
  const update = (i: number, change: Partial<Transformation>) => {
    setChanged((c) => ({ of: answer, rows: new Set([...(c.of === answer ? c.rows : []), i]) }));
    onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  };
  const remove = (i: number) => {
    setChanged({ of: answer, rows: new Set(rows.map((_, j) => j)) });
    onChange(rows.filter((_, j) => j !== i));
  };
  const listError = errors['f-tf-list'];
  return (
    <fieldset
      className={`group transformations${listError !== undefined ? ' invalid' : ''}`}
      id="f-tf-list"
      tabIndex={-1}
    >
      <legend>Field transformations</legend>
      <p className="hint">
        Before an event is mapped, a field's text is replaced in every event type that has it: <strong>Hash</strong>{' '}
        sends its SHA-256 (lowercase hex), <strong>Remove</strong> sends <code>[REDACTED]</code>. Values that are not
        text are sent as they are.
      </p>
      <datalist id="tf-fields">
        {fields.map((f) => (
          <option key={f.name} value={f.name} />
        ))}
      </datalist>
      {rows.length > 0 && (
        <ol className="plain tf-rows">
          {rows.map((row, i) => {
            const id = `f-tf-${i}`;
            const error = stale.has(i) ? undefined : errors[id];
            const note = noteFor(row, byName.get(row.field.trim()), selectedTypes, identity);
            return (
              <li key={i} className={`tf-row${error !== undefined ? ' invalid' : ''}`} data-row={i}>
                <div className="tf-controls">
                  <div className="field">
                    <label htmlFor={id}>Field</label>
                    <input
                      id={id}
                      type="text"
                      list="tf-fields"
                      autoComplete="off"
                      spellCheck={false}
                      placeholder="Search fields, e.g. email_address"
                      value={row.field}
                      aria-invalid={error !== undefined}
                      aria-describedby={`${id}-note${error !== undefined ? ` ${id}-error` : ''}`}
                      onChange={(e) => update(i, { field: e.target.value })}
                    />
                  </div>
                  <div className="field">
                    <label htmlFor={`${id}-action`}>Action</label>
                    <select
                      id={`${id}-action`}
                      value={row.action}
                      onChange={(e) => update(i, { action: e.target.value as TransformAction })}
                    >
                      <option value="hash">Hash (SHA-256)</option>
                      <option value="remove">Remove ([REDACTED])</option>
                    </select>
                  </div>
                  <button
                    type="button"
                    className="secondary tf-delete"
                    aria-label={`Delete the transformation of ${row.field.trim() || `row ${i + 1}`}`}
                    onClick={() => remove(i)}
                  >
                    Delete
                  </button>
                </div>
                <p className={`hint${note.warn ? ' tf-warn' : ''}`} id={`${id}-note`}>
                  {note.text}
                </p>
                {error !== undefined && <FieldError id={`${id}-error`} message={error} />}
              </li>
            );
          })}
        </ol>
      )}
      {listError !== undefined && <FieldError id="f-tf-list-error" message={listError} />}
      <button type="button" className="secondary" onClick={() => onChange([...rows, { field: '', action: 'hash' }])}>
        Add a field
      </button>
    </fieldset>
  );
}

function noteFor(
  row: Transformation,
  field: CatalogField | undefined,
  selected: ReadonlySet<string>,
  identity: string,
): { text: string; warn: boolean } {
  const name = row.field.trim();
  if (name === '') return { text: 'Type to search the fields of the catalog.', warn: false };
  if (field === undefined) return { text: 'No event type has this field: pick one from the list.', warn: true };
  const having = field.types.filter((t) => selected.has(t)).length;
  const where =
    having === 0
      ? 'None of the selected types has it.'
      : having === 1
        ? '1 selected type has it.'
        : `${having} selected types have it.`;
  const done = row.action === 'hash' ? 'the hash' : '[REDACTED]';
  if (name === 'external_user_id') {
    return { text: `${where} It is the ${identity} identity: mParticle will resolve users by ${done}.`, warn: true };
  }
  if (name === 'email_address' && identity !== 'email') {
    return { text: `${where} It is sent as the email identity: mParticle will resolve users by ${done}.`, warn: true };
  }
  if (!field.value_types.includes('string')) {
    return {
      text: `${where} Its values are ${field.value_types.join(', ')}, never text: they are sent as they are.`,
      warn: true,
    };
  }
  return { text: where, warn: false };
}
