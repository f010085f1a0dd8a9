/** What the tokens and audit APIs answer, loosely: the fields the team-use tests read. */
export interface Reply {
  token?: string;
  id?: string;
  name?: string;
  created_at?: string;
  error?: string;
  fields?: Record<string, string>;
  tokens?: unknown[];
  entries?: Entry[];
  next_before?: number | null;
  [key: string]: unknown;
}

/** One audit entry as GET /v1/audit lists it. */
export interface Entry {
  token: string;
  action: string;
  target: { kind: string; id: string | null };
  changes: Record<string, unknown>[];
  detail: Record<string, unknown>;
}
