/**
 * The one way the dashboard talks to the service: fetch on the same origin, the admin token as a bearer token,
 * and every error answer turned into an ApiError that keeps the API's per-field messages for the form.
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field path ("contact_email", "feeds.ios.key") -> what it needs, from a 400 answer. */
    readonly fields: Record<string, string> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export function createApi(token: string, onUnauthorized: () => void, fetchImpl: FetchLike = fetch): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetchImpl(path, init);
    } catch (e) {
      throw new ApiError(
        0,
        'network',
        'The service did not answer. Check that `currents serve` is running and reachable, then try again.',
        {},
        e,
      );
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy's HTML error page, for instance: reported below with the status.
    }
    if (response.ok) return json as T;
    if (response.status === 401) onUnauthorized();
    throw errorOf(response.status, json);
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    del: async (path) => {
      await call('DELETE', path);
    },
  };
}

function errorOf(status: number, json: unknown): ApiError {
  const body = (typeof json === 'object' && json !== null ? json : {}) as {
    error?: unknown;
    message?: unknown;
    code?: unknown;
    fields?: unknown;
  };
  // `message` is the sentence that says what to change; `error` is what older services answered with.
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof body.error === 'string'
        ? body.error
        : `The service answered ${status}. See its log for details.`;
  const code = typeof body.code === 'string' ? body.code : `http_${status}`;
  const fields: Record<string, string> = {};
  if (typeof body.fields === 'object' && body.fields !== null) {
    for (const [k, v] of Object.entries(body.fields)) if (typeof v === 'string') fields[k] = v;
  }
  return new ApiError(status, code, message, fields);
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
