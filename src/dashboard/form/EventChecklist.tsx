import type { CatalogType } from '../api/types.js';
import { FieldError } from '../components/Field.js';

interface Group {
  name: string;
  types: CatalogType[];
  unmappable: CatalogType[];
}

/** Catalog types grouped as Braze's mParticle page groups them; the API already sorts them that way. */
export function groupCatalog(catalog: readonly CatalogType[]): Group[] {
  const groups = new Map<string, Group>();
  for (const t of [...catalog].sort((a, b) => a.group_order - b.group_order || a.type.localeCompare(b.type))) {
    const g = groups.get(t.group) ?? { name: t.group, types: [], unmappable: [] };
    (t.mappable ? g.types : g.unmappable).push(t);
    groups.set(t.group, g);
  }
  return [...groups.values()];
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function EventChecklist({
  catalog,
  selected,
  error,
  onChange,
}: {
  catalog: readonly CatalogType[];
  selected: ReadonlySet<string>;
  error: string | undefined;
  onChange: (next: Set<string>) => void;
}) {
  const groups = groupCatalog(catalog);
  const mappable = catalog.filter((t) => t.mappable);
  const chosen = mappable.filter((t) => selected.has(t.type)).length;

  const setMany = (types: readonly CatalogType[], on: boolean) => {
    const next = new Set(selected);
    for (const t of types) {
      if (on) next.add(t.type);
      else next.delete(t.type);
    }
    onChange(next);
  };

  return (
    <fieldset
      className={`group events${error !== undefined ? ' invalid' : ''}`}
      id="f-events"
      tabIndex={-1}
      aria-describedby={error !== undefined ? 'f-events-count f-events-error' : 'f-events-count'}
    >
      <legend>Events to export</legend>
      <p className="hint" id="f-events-count" aria-live="polite">
        {chosen} of {mappable.length} event types selected. Each is sent as the mParticle event named beside it.
      </p>
      {error !== undefined && <FieldError id="f-events-error" message={error} />}
      <div className="actions">
        <button type="button" className="secondary small" onClick={() => setMany(mappable, true)}>
          Select every event
        </button>
        <button
          type="button"
          className="secondary small"
          onClick={() => onChange(new Set(mappable.filter((t) => t.default_selected).map((t) => t.type)))}
        >
          Braze's default selection
        </button>
        <button type="button" className="secondary small" onClick={() => setMany(mappable, false)}>
          Clear all
        </button>
      </div>
      <div className="event-groups">
        {groups
          .filter((g) => g.types.length > 0)
          .map((g) => {
            const id = `grp-${slug(g.name)}`;
            const on = g.types.filter((t) => selected.has(t.type)).length;
            return (
              <fieldset key={g.name} className="event-group" aria-labelledby={`${id}-legend`}>
                <legend id={`${id}-legend`}>
                  {g.name}{' '}
                  <span className="muted">
                    ({on}/{g.types.length})
                  </span>
                </legend>
                <div className="check select-all">
                  <input
                    type="checkbox"
                    id={`${id}-all`}
                    checked={on === g.types.length}
                    ref={(el) => {
                      if (el) el.indeterminate = on > 0 && on < g.types.length;
                    }}
                    onChange={(e) => setMany(g.types, e.target.checked)}
                  />
                  <label htmlFor={`${id}-all`}>Select all {g.name}</label>
                </div>
                <ul>
                  {g.types.map((t) => {
                    const cid = `ev-${slug(t.type)}`;
                    return (
                      <li key={t.type} className="check">
                        <input
                          type="checkbox"
                          id={cid}
                          value={t.type}
                          checked={selected.has(t.type)}
                          onChange={(e) => setMany([t], e.target.checked)}
                        />
                        <label htmlFor={cid}>
                          <span className="mp-name">{t.mparticle_name ?? '(mParticle uninstall)'}</span>{' '}
                          <code className="type">{t.type}</code>
                        </label>
                      </li>
                    );
                  })}
                </ul>
                {g.unmappable.length > 0 && (
                  <p className="hint">
                    Not sendable to mParticle (no mapping): {g.unmappable.map((t) => t.type).join(', ')}.
                  </p>
                )}
              </fieldset>
            );
          })}
      </div>
    </fieldset>
  );
}
