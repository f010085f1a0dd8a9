import { tokenMatches, tokenMatchesHash } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import { DEFAULT_SOURCE, type SourceRecord } from '../../types.js';

/**
 * Which source a push belongs to, decided from its token and its `?source=` parameter before its body is read.
 *
 * The sources are kept in memory and read again every `ttlMs` (a change made by the CLI or another process is seen
 * within that time) and at once after a change made through this process. A token or a source id not found makes
 * it read them again, at most once per `missIntervalMs`, so a source created a moment ago elsewhere works at once
 * and a stream of wrong tokens cannot turn into a stream of store reads.
 *
 * Every presented token is compared, in constant time, with the ingest token and with each http source's kept hash,
 * all of them (no early exit), so the answer's timing does not tell which part of a token was right.
 */

export type Resolution =
  | { ok: true; source: SourceRecord }
  | { ok: false; status: 401 | 403 | 404 | 503; code: string; message: string; retryAfterSeconds?: number };

export const PAUSED_RETRY_AFTER_SECONDS = 60;

const INGEST_HINT =
  'send the ingest token (CURRENTS_INGEST_TOKEN, or ingest_token in <data>/tokens.json) or the own token of an ' +
  'http source as "Authorization: Bearer <token>"';

export class SourceDirectory {
  #sources: readonly SourceRecord[] = [];
  #loadedAt = -Infinity;
  #missLoadedAt = -Infinity;
  #loading: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<Store, 'listSources'>,
    private readonly ingestToken: string,
    private readonly options: { ttlMs?: number; missIntervalMs?: number; now?: () => number } = {},
  ) {}

  /** Read the sources again before the next push (after a change made through this process). */
  invalidate(): void {
    this.#loadedAt = -Infinity;
  }

  async resolve(header: string | undefined, requested: string | undefined): Promise<Resolution> {
    if (header === undefined || !header.startsWith('Bearer ')) {
      return { ok: false, status: 401, code: 'unauthorized', message: `missing bearer token: ${INGEST_HINT}` };
    }
    const presented = header.slice(7).trim();
    if (this.#now() - this.#loadedAt >= (this.options.ttlMs ?? 2000)) await this.#load();
    let answer = this.#decide(presented, requested);
    if (answer === 'miss' && this.#now() - this.#missLoadedAt >= (this.options.missIntervalMs ?? 1000)) {
      this.#missLoadedAt = this.#now();
      await this.#load();
      answer = this.#decide(presented, requested);
    }
    if (answer === 'miss') answer = this.#missed(presented, requested);
    return answer;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Read the sources again; callers arriving meanwhile share the read. */
  #load(): Promise<void> {
    this.#loading ??= this.store
      .listSources()
      .then((sources) => {
        this.#sources = sources;
        this.#loadedAt = this.#now();
      })
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }

  /** The source's own token this is, if any: every hash is compared, whatever matched before. */
  #owner(presented: string): SourceRecord | null {
    let owner: SourceRecord | null = null;
    for (const s of this.#sources) {
      if (s.tokenHash !== null && tokenMatchesHash(presented, s.tokenHash) && owner === null) owner = s;
    }
    return owner;
  }

  #decide(presented: string, requested: string | undefined): Resolution | 'miss' {
    const owner = this.#owner(presented);
    const isIngestToken = tokenMatches(presented, this.ingestToken);
    if (owner !== null) {
      if (requested !== undefined && requested !== owner.id) {
        return {
          ok: false,
          status: 403,
          code: 'token_of_another_source',
          message:
            `this token belongs to source ${owner.id} and the URL asks for source ${requested}: drop ?source= (the ` +
            `token chooses its source), or push with source ${requested}'s own token or the ingest token`,
        };
      }
      return this.#admit(owner);
    }
    if (!isIngestToken) return 'miss';
    const id = requested ?? DEFAULT_SOURCE;
    const source = this.#sources.find((s) => s.id === id);
    return source === undefined ? 'miss' : this.#admit(source);
  }

  /** After a fresh look: a wrong token, or a source that does not exist. */
  #missed(presented: string, requested: string | undefined): Resolution {
    if (!tokenMatches(presented, this.ingestToken)) {
      return { ok: false, status: 401, code: 'unauthorized', message: `wrong ingest token: ${INGEST_HINT}` };
    }
    return {
      ok: false,
      status: 404,
      code: 'unknown_source',
      message:
        `there is no source ${requested ?? DEFAULT_SOURCE}: fix the ?source= parameter of the Current's endpoint ` +
        'URL, or create the source (POST /v1/sources, or "currents sources create")',
    };
  }

  #admit(source: SourceRecord): Resolution {
    if (source.config.kind !== 'http') {
      return {
        ok: false,
        status: 403,
        code: 'not_an_http_source',
        message:
          `source ${source.id} reads files from ${source.config.kind} and takes no pushes: push to an http source ` +
          '(create one with POST /v1/sources and "kind": "http")',
      };
    }
    if (source.state === 'paused') {
      return {
        ok: false,
        status: 503,
        code: 'source_paused',
        message:
          `source ${source.id} is paused: it takes no events until it is resumed (POST /v1/sources/${source.id}/resume, ` +
          `or "currents sources resume ${source.id}"); retry after Retry-After`,
        retryAfterSeconds: PAUSED_RETRY_AFTER_SECONDS,
      };
    }
    return { ok: true, source };
  }
}
