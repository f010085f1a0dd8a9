import { describe, expect, it } from 'vitest';
import type { CatalogType, ExportView } from '../../src/dashboard/api/types.js';
import {
  createBody,
  credentialTest,
  emptyForm,
  fieldIdOf,
  formFromExport,
  localErrors,
  patchBody,
  readableFieldError,
  type FormState,
} from '../../src/dashboard/form/formState.js';

/** The dashboard's form, as data: what it sends to the API for what the user typed. */

const catalog: CatalogType[] = [
  {
    type: 'users.messages.email.Send',
    group: 'Messages: Email',
    group_order: 11,
    mappable: true,
    default_selected: true,
    mparticle_name: 'Email Sends',
    channel_qualified_name: 'Email Sends',
    platform_bound: false,
  },
  {
    type: 'users.messages.email.Open',
    group: 'Messages: Email',
    group_order: 11,
    mappable: true,
    default_selected: false,
    mparticle_name: 'Email Opens',
    channel_qualified_name: 'Email Opens',
    platform_bound: false,
  },
  {
    type: 'users.messages.banner.Click',
    group: 'Messages: Banner',
    group_order: 17,
    mappable: false,
    default_selected: false,
    mparticle_name: null,
    channel_qualified_name: null,
    platform_bound: true,
  },
];

const stored: ExportView = {
  id: 'exp_1',
  name: 'Prod',
  contact_email: 'team@example.com',
  destination: { pod: 'EU1' },
  environment: 'production',
  feeds: { ios: { key: 'ios-key', secret_set: true }, unbound: { key: 'ub-key', secret_set: true } },
  events: ['users.messages.email.Send'],
  identity: 'customer_id',
  event_names: {},
  merge_batches: true,
  hold_window_hours: 48,
  rate_limit: 270,
  sources: ['brand-a'],
  transformations: [{ field: 'email_address', action: 'hash' }],
  warnings: [],
  state: 'active',
  start_seq: 0,
  from: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

function filled(): FormState {
  const s = emptyForm(catalog);
  return {
    ...s,
    name: ' Sandbox ',
    contactEmail: ' me@example.com ',
    destinationKind: 'base_url',
    baseUrl: 'http://127.0.0.1:7701/',
    holdWindowHours: '0.5',
    feeds: { ...s.feeds, web: { ...s.feeds.web, key: ' web-key ', secret: 'web-secret' } },
  };
}

describe('creating an export', () => {
  it("starts from Braze's default selection, 48 hours and US1", () => {
    const s = emptyForm(catalog);
    expect([...s.events]).toEqual(['users.messages.email.Send']);
    expect(s.holdWindowHours).toBe('48');
    expect(s.pod).toBe('US1');
  });

  it('sends the typed settings, only the feeds given, and the hold window as a number', () => {
    expect(createBody(filled())).toEqual({
      name: ' Sandbox ',
      contact_email: 'me@example.com',
      destination: { base_url: 'http://127.0.0.1:7701' },
      environment: 'production',
      feeds: { web: { key: 'web-key', secret: 'web-secret' } },
      identity: 'customer_id',
      hold_window_hours: 0.5,
      events: ['users.messages.email.Send'],
      from: 'now',
      transformations: [],
    });
  });

  it('sends a feed with a key and no secret, so that the API names the missing secret', () => {
    const s = filled();
    s.feeds.ios = { ...s.feeds.ios, key: 'ios-key' };
    expect((createBody(s).feeds as Record<string, unknown>).ios).toEqual({ key: 'ios-key', secret: '' });
  });

  it('catches an empty name, a bad base URL, a bad hold window and no events before sending', () => {
    const s = { ...filled(), name: '  ', baseUrl: 'sandbox', holdWindowHours: '-1', events: new Set<string>() };
    expect(Object.keys(localErrors(s)).sort()).toEqual(['f-base-url', 'f-events', 'f-hold', 'f-name']);
    expect(localErrors(filled())).toEqual({});
  });

  it('finds every problem of an empty form at once: name, email, feeds, events', () => {
    const empty = { ...emptyForm(catalog), events: new Set<string>() };
    expect(Object.keys(localErrors(empty)).sort()).toEqual(['f-contact-email', 'f-events', 'f-feeds', 'f-name']);
    const halfFeed = {
      ...filled(),
      contactEmail: 'ops@',
      feeds: { ...filled().feeds, android: { ...filled().feeds.android, key: 'k' } },
    };
    const errors = localErrors(halfFeed);
    expect(errors['f-contact-email']).toMatch(/full email address/);
    expect(errors['f-android-secret']).toBe('Give the Android feed’s server-to-server secret.');
    expect(errors).not.toHaveProperty('f-feeds');
  });
});

describe('editing an export', () => {
  it('shows stored secrets as set and sends nothing for untouched feeds', () => {
    const s = formFromExport(stored);
    expect(s.feeds.ios).toMatchObject({ key: 'ios-key', secret: '', existing: true, replaceSecret: false });
    expect(s.destinationKind).toBe('pod');
    expect(s.pod).toBe('EU1');
    expect(patchBody(s)).not.toHaveProperty('feeds');
  });

  it('sends a new key and a replaced secret, removes a feed, and adds a new one', () => {
    const s = formFromExport(stored);
    s.feeds.ios = { ...s.feeds.ios, key: 'ios-key-2', replaceSecret: true, secret: 'new-secret' };
    s.feeds.unbound = { ...s.feeds.unbound, remove: true };
    s.feeds.android = { ...s.feeds.android, key: 'and-key', secret: 'and-secret' };
    expect(patchBody(s).feeds).toEqual({
      ios: { key: 'ios-key-2', secret: 'new-secret' },
      android: { key: 'and-key', secret: 'and-secret' },
      unbound: null,
    });
  });

  it('keeps the stored secret when "replace" was pressed but nothing typed', () => {
    const s = formFromExport(stored);
    s.feeds.ios = { ...s.feeds.ios, key: 'ios-key-2', replaceSecret: true };
    expect(patchBody(s).feeds).toEqual({ ios: { key: 'ios-key-2' } });
  });

  it('tests stored credentials with typed replacements, and says which changed keys lack a secret', () => {
    const s = formFromExport(stored);
    s.feeds.ios = { ...s.feeds.ios, key: 'ios-key-2' };
    s.feeds.web = { ...s.feeds.web, key: 'web-key', secret: 'web-secret' };
    expect(credentialTest('exp_1', s)).toEqual({
      path: '/v1/exports/exp_1/test-credentials',
      body: { feeds: { web: { key: 'web-key', secret: 'web-secret' } } },
      keyOnly: ['ios'],
    });
    expect(credentialTest(null, filled()).path).toBe('/v1/test-credentials');
  });
});

describe('the sources of an export', () => {
  it('takes every source unless some are ticked, and sends null to go back to every source', () => {
    expect(createBody(emptyForm(catalog))).not.toHaveProperty('sources');
    const edited = formFromExport(stored);
    expect(patchBody(edited).sources).toEqual(['brand-a']);
    expect(patchBody({ ...edited, sources: null }).sources).toBeNull();
    expect(createBody({ ...emptyForm(catalog), sources: new Set(['a', 'b']) }).sources).toEqual(['a', 'b']);
    expect(localErrors({ ...edited, sources: new Set() })['f-sources']).toMatch(/at least one source/);
    expect(fieldIdOf('sources.0', edited)).toBe('f-sources');
  });
});

describe('where a new export starts', () => {
  it('sends now, earliest, or the typed time with its zone; asks for the time when it is missing', () => {
    expect(createBody({ ...filled(), startKind: 'earliest' }).from).toBe('earliest');
    const typed = createBody({ ...filled(), startKind: 'time', startTime: '2026-11-28T09:30' }).from as string;
    expect(Date.parse(typed)).toBe(new Date('2026-11-28T09:30').getTime());
    expect(typed).toMatch(/Z$/);
    expect(localErrors({ ...filled(), startKind: 'time', startTime: '' })['f-from']).toMatch(/date and time to start/);
    expect(localErrors({ ...filled(), startKind: 'now', startTime: '' })['f-from']).toBeUndefined();
    expect(fieldIdOf('from', filled())).toBe('f-from');
    // An export's start is fixed: editing never sends one.
    expect(patchBody(formFromExport(stored))).not.toHaveProperty('from');
  });
});

describe("placing the API's field errors", () => {
  it('puts each field path next to its control', () => {
    const s = filled();
    expect(fieldIdOf('contact_email', s)).toBe('f-contact-email');
    expect(fieldIdOf('feeds.ios.secret', s)).toBe('f-ios-secret');
    expect(fieldIdOf('feeds.android.key', s)).toBe('f-android-key');
    expect(fieldIdOf('feeds.web', s)).toBe('f-web-key');
    expect(fieldIdOf('feeds', s)).toBe('f-feeds');
    expect(fieldIdOf('events.3', s)).toBe('f-events');
    expect(fieldIdOf('destination', s)).toBe('f-base-url');
    expect(fieldIdOf('destination', { ...s, destinationKind: 'pod' })).toBe('f-pod');
    expect(fieldIdOf('rate_limit', s)).toBeNull();
  });

  it("replaces zod's bare union message with what to give", () => {
    expect(readableFieldError('destination', 'Invalid input', filled())).toMatch(/full base URL/);
    expect(readableFieldError('name', 'give the export a name', filled())).toBe('Give the export a name');
  });
});

describe('the field transformations of an export', () => {
  it('shows the stored ones, sends the rows without empty ones, and places API errors on the right row', () => {
    const s = formFromExport(stored);
    expect(s.transformations).toEqual([{ field: 'email_address', action: 'hash' }]);
    const edited = {
      ...s,
      transformations: [
        { field: '', action: 'hash' as const },
        { field: ' campaign_name ', action: 'remove' as const },
        ...s.transformations,
      ],
    };
    expect(patchBody(edited).transformations).toEqual([
      { field: 'campaign_name', action: 'remove' },
      { field: 'email_address', action: 'hash' },
    ]);
    expect(createBody(edited).transformations).toEqual(patchBody(edited).transformations);
    expect(patchBody({ ...s, transformations: [] }).transformations).toEqual([]);
    // The API's index 1 is the form's third row: the empty first row is not sent.
    expect(fieldIdOf('transformations.1.field', edited)).toBe('f-tf-2');
    expect(fieldIdOf('transformations', edited)).toBe('f-tf-list');
    expect(emptyForm(catalog).transformations).toEqual([]);
  });
});
