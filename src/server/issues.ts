import { z } from 'zod';

/**
 * zod's issues turned into sentences that say what to change, naming the field as the request spells it
 * ("contact_email must be an email address such as data-team@example.com"). A message written into a schema for its
 * field is kept as it is; zod's own phrasing ("Too small: expected string to have >=1 characters") never reaches
 * anyone. Values are never quoted back: a refused field may hold a secret.
 */

type Issue = z.core.$ZodIssue;

/** What a field is, for the fields people get wrong; the sentence ends with it. */
const HINTS: Record<string, string> = {
  name: 'give a name people will recognise',
  contact_email: 'the address told when mParticle refuses the credentials',
  base_url: 'the address of an Events API without /v2, e.g. http://127.0.0.1:7701',
  key: "the feed's server-to-server key from mParticle",
  secret: "the feed's server-to-server secret from mParticle",
  external_user_id: 'give the customer id the test events carry, e.g. "cust-1042"',
  types: 'Currents event types, as GET /v1/catalog lists them',
  events: 'Currents event types, as GET /v1/catalog lists them',
  from: 'a time such as 2026-11-01T00:00:00Z',
  to: 'a time such as 2026-11-01T00:00:00Z',
  rate_limit: 'batches per second, 0 for no limit',
  hold_window_hours: 'hours to hold events while mParticle refuses the credentials (at most 720)',
  ids: 'numbers from the list of dead letters',
  id: 'lowercase letters, digits, "-" or "_"',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'text (a JSON string)',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list (a JSON array)',
  object: 'an object (a JSON {...})',
  null: 'null',
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  // A number read from text that holds none (z.coerce.number of "abc").
  if (typeof value === 'number' && Number.isNaN(value)) return 'text that holds no number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const ZOD_ENGLISH = z.locales.en();

/** zod's own message for an issue, to tell it from one a schema wrote for its field. */
function isZodPhrasing(issue: Issue): boolean {
  const own = ZOD_ENGLISH.localeError(issue as never);
  const text = typeof own === 'string' ? own : own?.message;
  return text === issue.message || /^(Invalid|Too (small|big)|Unrecognized key|Expected)/.test(issue.message);
}

function plural(n: number | bigint, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

function bound(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const n = small ? issue.minimum : issue.maximum;
  const exact = issue.inclusive !== false;
  if (issue.origin === 'string') {
    if (small && Number(n) === 1) return 'must not be empty';
    return `must have ${small ? 'at least' : 'at most'} ${plural(n, 'character', 'characters')}`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    if (small && Number(n) === 1) return 'must list at least one item';
    return `must list ${small ? 'at least' : 'at most'} ${plural(n, 'item', 'items')}`;
  }
  if (small) return exact ? `must be at least ${n}` : `must be greater than ${n}`;
  return exact ? `must be at most ${n}` : `must be less than ${n}`;
}

const FORMATS: Record<string, string> = {
  email: 'must be an email address such as data-team@example.com',
  url: 'must be a URL such as https://example.com',
  datetime: 'must be a time such as 2026-11-01T00:00:00Z (ISO 8601, with Z or an offset)',
  date: 'must be a date such as 2026-11-01',
  regex: 'is not in the form this field takes',
};

function formatProblem(issue: Extract<Issue, { code: 'invalid_format' }>): string {
  return FORMATS[issue.format] ?? `must be a valid ${issue.format}`;
}

function problem(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return 'is required';
      const want = TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`;
      return `must be ${want}, not ${typeOf(input)}`;
    }
    case 'too_small':
    case 'too_big':
      return bound(issue);
    case 'invalid_format':
      return formatProblem(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      if (values.length === 1) return `must be ${values[0]}`;
      return `must be one of ${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
    }
    case 'unrecognized_keys':
      return 'is not a setting this request takes: remove it (or check its spelling)';
    case 'invalid_key':
      return 'has a key this field does not take';
    case 'invalid_element':
      return 'has a value this field does not take';
    case 'invalid_union':
    case 'custom':
      return 'is not valid here';
  }
}

/** The union branch the sender most likely meant: the one whose issues say least about keys it does not take. */
function likelyBranch(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] {
  const branches = issue.errors.filter((b) => b.length > 0);
  const score = (b: Issue[]) => b.filter((i) => i.code === 'unrecognized_keys').length * 100 + b.length;
  return [...branches].sort((a, b) => score(a) - score(b))[0] ?? [];
}

/** One sentence per field path: `fields` marks each field of a form; every issue is named, not just the first. */
export function describeIssues(issues: readonly Issue[], where: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const visit = (issue: Issue, prefix: PropertyKey[]) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && isZodPhrasing(issue)) {
      const branch = likelyBranch(issue);
      if (branch.length > 0) {
        for (const inner of branch) visit(inner, path);
        return;
      }
    }
    // A key the schema does not take is named as the field itself, so the message sits next to it.
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...path, k]) : [path];
    for (const p of paths) {
      const name = p.map(String).join('.');
      const key = name || where;
      if (fields[key] !== undefined) continue;
      if (!isZodPhrasing(issue)) {
        fields[key] = issue.message;
        continue;
      }
      const label = name || subject(where);
      const hint = HINTS[String(p.at(-1))];
      fields[key] = `${label} ${problem(issue)}${hint && issue.code !== 'unrecognized_keys' ? `: ${hint}` : ''}`;
    }
  };
  for (const issue of issues) visit(issue, []);
  return fields;
}

/** "the body", "the query"; a file the CLI read is "the file ./export.json". */
function subject(where: string): string {
  return /[/\\.]/.test(where) ? `the file ${where}` : `the ${where}`;
}

/** The whole answer in sentences: each field's, prefixed by its name when the schema's own message leaves it out. */
export function summarise(fields: Record<string, string>, where: string): string {
  const sentences = Object.entries(fields).map(([path, message]) =>
    message.startsWith(path) || path === where ? message : `${path}: ${message}`,
  );
  const head = `${subject(where)} needs ${sentences.length === 1 ? 'a change' : `${sentences.length} changes`}`;
  return `${head}: ${sentences.join('; ')}.`.replace(/\.\.$/, '.');
}

/** Fastify's own (ajv) validation errors, should a route declare a JSON schema: the same sentences per field. */
export function describeAjvErrors(
  errors: readonly { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> }[],
  where: string,
): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const e of errors) {
    const segments = (e.instancePath ?? '').split('/').filter((s) => s !== '');
    const missing = e.keyword === 'required' ? e.params?.missingProperty : undefined;
    const extra = e.keyword === 'additionalProperties' ? e.params?.additionalProperty : undefined;
    if (typeof missing === 'string') segments.push(missing);
    if (typeof extra === 'string') segments.push(extra);
    const name = segments.join('.');
    const what =
      missing !== undefined
        ? 'is required'
        : extra !== undefined
          ? 'is not a setting this request takes: remove it (or check its spelling)'
          : (e.message ?? 'is not valid here');
    fields[name || where] ??= `${name || subject(where)} ${what}`;
  }
  return fields;
}
