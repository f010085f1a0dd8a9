import { randomUUID } from 'node:crypto';
import { eventType, type CatalogField } from './catalog.js';

/**
 * A valid event of any catalog type with placeholder values: what "Send test events" pushes through the pipeline,
 * so that a user sees one event of each selected type arrive in mParticle (or the sandbox).
 */
export interface SampleOptions {
  id?: string;
  /** UNIX seconds. */
  time?: number;
  externalUserId?: string | null;
  /** App platform for app-bound types (ios, android, web...). */
  platform?: string;
  appId?: string;
  /** Extra fields merged last (e.g. a marker). */
  extra?: Record<string, unknown>;
}

const SPECIAL: Record<string, (o: Required<Pick<SampleOptions, 'platform' | 'appId'>>) => unknown> = {
  email_address: () => 'test-user@example.com',
  to_phone_number: () => '+15555550100',
  from_phone_number: () => '+15555550199',
  user_phone_number: () => '+15555550100',
  timezone: () => 'Europe/Madrid',
  platform: (o) => o.platform,
  app_id: (o) => o.appId,
  device_id: () => '3f2a9c1e-0000-4000-8000-000000000001',
  ad_id: () => '3f2a9c1e-0000-4000-8000-0000000000ad',
  ad_id_type: (o) => (o.platform === 'android' ? 'google_adid' : 'ios_idfa'),
  os_version: () => '17.0',
  device_model: () => 'Test Device',
  url: () => 'https://example.com/test',
  link_url: () => 'https://example.com/test',
};

function placeholder(field: CatalogField, o: Required<Pick<SampleOptions, 'platform' | 'appId'>>): unknown {
  const special = SPECIAL[field.name];
  if (special) return special(o);
  switch (field.type) {
    case 'string':
      return field.name.endsWith('_id') ? `test-${field.name}` : `Test ${field.name.replace(/_/g, ' ')}`;
    case 'int':
    case 'long':
      return 1;
    case 'float':
      return 1.5;
    case 'boolean':
      return false;
    case 'array<string>':
      return ['test'];
  }
}

/** A flat event of `type` with every catalog field filled; throws for a type Currents does not have. */
export function sampleEvent(type: string, options: SampleOptions = {}): Record<string, unknown> {
  const info = eventType(type);
  if (info === undefined) throw new Error(`${type} is not a Currents event type`);
  const o = { platform: options.platform ?? 'ios', appId: options.appId ?? 'test-app' };
  const event: Record<string, unknown> = { event_type: type };
  for (const field of info.fields) {
    if (field.deprecated) continue;
    event[field.name] = placeholder(field, o);
  }
  event.id = options.id ?? randomUUID();
  event.time = options.time ?? Math.floor(Date.now() / 1000);
  if ('user_id' in event) event.user_id = 'test-braze-user-id';
  if (options.externalUserId !== undefined) {
    if (options.externalUserId === null) delete event.external_user_id;
    else event.external_user_id = options.externalUserId;
  } else if (info.fields.some((f) => f.name === 'external_user_id')) {
    event.external_user_id = 'currents-test-user';
  }
  return { ...event, ...(options.extra ?? {}) };
}
