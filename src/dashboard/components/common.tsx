import type { ReactNode } from 'react';
import type { FeedPhase } from '../api/types.js';
import { dateTime, PHASE_LABEL, relative } from '../format.js';

export function Time({ iso, now, never = 'never' }: { iso: string | null; now: number; never?: string }) {
  if (iso === null) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {relative(iso, now)}
    </time>
  );
}

const PHASE_TONE: Record<FeedPhase, string> = {
  flowing: 'ok',
  retrying: 'warn',
  credentials_rejected: 'bad',
  paused: 'idle',
};

export function StateBadge({ phase }: { phase: FeedPhase }) {
  return <span className={`badge ${PHASE_TONE[phase]}`}>{PHASE_LABEL[phase]}</span>;
}

/** A message in a coloured box. `alert` makes screen readers announce it when it appears. */
export function Notice({
  tone,
  children,
  alert = false,
  id,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'info';
  children: ReactNode;
  alert?: boolean;
  id?: string;
}) {
  return (
    <div className={`notice ${tone}`} role={alert ? 'alert' : 'status'} id={id}>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function LoadError({ error, retry }: { error: Error; retry: () => void }) {
  return (
    <Notice tone="bad" alert>
      <p>{error.message}</p>
      <button type="button" className="secondary" onClick={retry}>
        Try again
      </button>
    </Notice>
  );
}
