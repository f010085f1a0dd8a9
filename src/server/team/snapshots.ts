import type { ExportRecord, SourceRecord } from '../../types.js';
import { SLOTS } from '../../types.js';
import { exportJson } from '../exports/service.js';
import { sourceJson } from '../sources/service.js';
import { snapshot, type Snapshot } from './audit.js';

/** Exports and sources as the audit log compares them: their API fields, and their secrets compared but not shown. */

export function exportSnapshot(r: ExportRecord): Snapshot {
  const secrets: Record<string, string | undefined> = {};
  for (const slot of SLOTS) secrets[`feeds.${slot}.secret`] = r.feeds[slot]?.secretEnc;
  return snapshot(exportJson(r), secrets, [
    'updated_at',
    'created_at',
    'start_seq',
    ...SLOTS.map((s) => `feeds.${s}.secret_set`),
  ]);
}

export function sourceSnapshot(r: SourceRecord): Snapshot {
  const secrets: Record<string, string | null | undefined> = { token: r.tokenHash };
  // Stored secrets are the config fields ending in Enc (encrypted text): named as the API names the field.
  for (const [k, v] of Object.entries(r.config)) {
    if (k.endsWith('Enc')) secrets[snake(k.slice(0, -3))] = typeof v === 'string' ? v : null;
  }
  return snapshot(sourceJson(r), secrets, [
    'updated_at',
    'created_at',
    'push',
    'own_token',
    'secret_access_key_set',
    'connection_string_set',
    'credentials_json_set',
  ]);
}

const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
