import type { FeedStatus } from '../api/types.js';
import { StateBadge, Time } from '../components/common.js';
import { count, dateTime, feedLabel, relative, slotLabel } from '../format.js';
import { Link, paths } from '../router.js';
import { Can } from '../access.js';

export function FeedCard({ exportId, feed, now }: { exportId: string; feed: FeedStatus; now: number }) {
  const name = feedLabel(feed.id);
  const headingId = `feed-${feed.id.replace(/\+/g, '-')}-title`;
  const firstSlot = feed.slots[0] ?? 'unbound';
  return (
    <article className={`feed-card ${feed.state}`} aria-labelledby={headingId} data-feed={feed.id}>
      <h3 id={headingId}>
        {name} <StateBadge phase={feed.state} />
      </h3>
      {feed.state === 'credentials_rejected' && (
        <div className="notice bad hold" role="alert">
          <p>
            mParticle has refused this feed's key
            {feed.held_since !== null && (
              <>
                {' '}
                since <time dateTime={feed.held_since}>{dateTime(feed.held_since)}</time>
              </>
            )}
            . <strong>{count(feed.held_events)} events are held</strong>
            {feed.drop_deadline !== null && (
              <>
                {' '}
                and start being dropped at{' '}
                <strong>
                  <time dateTime={feed.drop_deadline} className="drop-deadline">
                    {dateTime(feed.drop_deadline)}
                  </time>
                </strong>{' '}
                ({relative(feed.drop_deadline, now)})
              </>
            )}
            . Delivery resumes by itself once the key works again.
          </p>
          <Can need="admin">
            <p>
              <Link to={paths.edit(exportId, `feed-${firstSlot}`)}>
                Update the {feed.slots.map(slotLabel).join(' + ')} key
              </Link>
            </p>
          </Can>
        </div>
      )}
      <dl>
        <div>
          <dt>Key</dt>
          <dd>
            <code>{feed.key}</code>
          </dd>
        </div>
        <div>
          <dt>Backlog</dt>
          <dd>{count(feed.backlog_events)} events</dd>
        </div>
        <div>
          <dt>Last delivery</dt>
          <dd>
            <Time iso={feed.last_delivery_at} now={now} />
          </dd>
        </div>
        {feed.oldest_waiting_at !== null && (
          <div>
            <dt>Oldest waiting</dt>
            <dd>
              <Time iso={feed.oldest_waiting_at} now={now} />
            </dd>
          </div>
        )}
        {feed.rate_limit_percent_used !== null && (
          <div>
            <dt>Rate limit used</dt>
            <dd>{feed.rate_limit_percent_used}%</dd>
          </div>
        )}
      </dl>
      {feed.last_error !== null && feed.state !== 'flowing' && (
        <p className="last-error">
          <span className="label">Last error:</span> {feed.last_error}
        </p>
      )}
    </article>
  );
}
