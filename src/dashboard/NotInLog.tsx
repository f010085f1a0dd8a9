import type { QuarantinePage } from './api/types.js';
import { Loading, Notice } from './components/common.js';
import { usePoll } from './hooks.js';
import { Link, paths } from './router.js';

/**
 * "Find an event" on an id the log does not hold: look for it in the quarantine (open and dismissed records), and
 * say where it is, or what else may have become of it.
 */
export function NotInLog({ id }: { id: string }) {
  const { data, error } = usePoll(
    async (api) => {
      const q = encodeURIComponent(id);
      const [open, dismissed] = await Promise.all([
        api.get<QuarantinePage>(`/v1/quarantine?limit=5&event_id=${q}`),
        api.get<QuarantinePage>(`/v1/quarantine?limit=5&event_id=${q}&dismissed=true`),
      ]);
      return { open: open.records, dismissed: dismissed.records };
    },
    10_000,
    `not-in-log-${id}`,
  );
  if (data === null && error === null) return <Loading what="the quarantine" />;
  const open = data?.open ?? [];
  const dismissed = data?.dismissed ?? [];
  if (open.length > 0) {
    return (
      <Notice tone="warn">
        <p>
          <strong>
            Event <code>{id}</code> was refused at ingest:
          </strong>{' '}
          it is in the quarantine, not in the log. {open[0]!.reason}.
        </p>
        <p>
          <Link to={paths.quarantine({ event: id })}>See it in the quarantine</Link> to retry it after a fix, or dismiss
          it.
        </p>
      </Notice>
    );
  }
  return (
    <Notice tone="info">
      <p>
        <strong>
          The log holds no event <code>{id}</code>.
        </strong>{' '}
        {dismissed.length > 0
          ? 'It was refused at ingest and then dismissed from the quarantine.'
          : 'It was never received, or retention removed it after every export had passed it. It is not in the quarantine either.'}
      </p>
      <p>
        {dismissed.length > 0 ? (
          <Link to={paths.quarantine({ dismissed: true })}>See the dismissed records</Link>
        ) : (
          <Link to={paths.quarantine()}>Open the quarantine</Link>
        )}
        {error !== null && <> (the quarantine could not be searched: {error.message})</>}
      </p>
    </Notice>
  );
}
