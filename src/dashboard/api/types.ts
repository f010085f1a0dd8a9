/**
 * The shapes the service's HTTP API answers with. Most are the `z.infer` types of the zod schemas the service
 * documents its answers with (imported type-only from zod-only modules: no server code reaches the bundle); the
 * schemas are checked against real answers in test/server/response-schemas.test.ts.
 */

import type { z } from 'zod';
import type { exportView } from '../../server/schemas/exports.js';
import type { sourceView } from '../../server/sources/schemas.js';

export type {
  ExportStatus,
  ExportView,
  FeedStatus,
  ListedExport,
  SourceFigures,
  TypeStatus,
} from '../../server/schemas/exports.js';
export type { EventTrace, Fate } from '../../server/schemas/events.js';
export type { ListedSource, SourceStatusView } from '../../server/schemas/sources.js';
export type { CatalogField, CatalogType } from '../../server/schemas/catalog.js';
export type {
  CredentialCheck,
  DeadLetter,
  SeriesPoint,
  TestEventsResult,
} from '../../server/schemas/export-actions.js';

/** GET /v1/sources/:id: a source's settings; secrets only as "set", its token never. */
export type SourceView = z.infer<typeof sourceView>;

export type Slot = 'ios' | 'android' | 'web' | 'unbound';
export const SLOTS: readonly Slot[] = ['ios', 'android', 'web', 'unbound'];

export type FeedPhase = 'flowing' | 'retrying' | 'credentials_rejected' | 'paused';

export const PODS = ['US1', 'US2', 'EU1', 'AU1'] as const;
export type Pod = (typeof PODS)[number];

export type Destination = { pod: Pod } | { base_url: string };

/** A field transformation as the exports API takes and shows it. */
export type Transformation = z.infer<typeof exportView>['transformations'][number];
export type TransformAction = Transformation['action'];

export type SourceKind = 'http' | 's3' | 'azure_blob' | 'gcs';

/** The quarantine API's shapes, from the zod schemas the service validates and documents with. */
export type {
  QuarantineDismiss,
  QuarantinePage,
  QuarantineRecordView as QuarantineRecord,
  QuarantineRetry,
} from '../../server/schemas/quarantine.js';
