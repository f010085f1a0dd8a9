import { useState } from 'react';
import { Notice } from '../components/common.js';

/**
 * A source's own ingest token, shown the one time the service gives it (at creation, or a new one). It is kept in
 * this component's state only: leaving the page forgets it, and the service cannot show it again.
 */
export function TokenOnce({ id, name, token }: { id: string; name: string; token: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const endpoint = `${location.origin}/v1/currents`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <Notice tone="info">
      <h2>Copy the token of “{name}” now</h2>
      <p>
        It is shown this once: the service keeps only a fingerprint of it. If it is lost, give the source a new token.
      </p>
      <div className="field token">
        <label htmlFor="source-token">Ingest token of {name}</label>
        <div className="token-row">
          <input
            id="source-token"
            type="text"
            readOnly
            value={token}
            spellCheck={false}
            onFocus={(e) => e.target.select()}
          />
          <button type="button" className="secondary" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        {copied === 'yes' && <p className="hint">Copied.</p>}
        {copied === 'no' && <p className="hint">The browser did not allow copying: select the token and copy it.</p>}
      </div>
      <p>
        In Braze, create a Custom HTTP Current with the endpoint <code>{endpoint}</code> and this token as its bearer
        token. (Or use the endpoint <code>{`${endpoint}?source=${id}`}</code> with the service&apos;s ingest token.)
      </p>
    </Notice>
  );
}
