/** The mparticle room's public surface: what delivery, server and sandbox use. */
export type * from './types.js';
export { mapEvent } from './map.js';
export { transformEvent, transformValue, notStringFields, REDACTED } from './transform.js';
export { channelQualifiedNames } from './names.js';
export { keyTag, sourceRequestId } from './ids.js';
export {
  buildBatches,
  HISTORICAL_AGE_MS,
  MAX_BATCH_BYTES,
  MAX_EVENTS_PER_BATCH,
  type BuildOptions,
  type BuildResult,
} from './batches.js';
export { packRequests, MAX_BATCHES_PER_REQUEST, MAX_REQUEST_BYTES } from './pack.js';
export { planFeeds, routeSlot, feedReadFilter, deliveryGaps, type DeliveryGap } from './feeds.js';
export {
  classifyResponse,
  classifyError,
  parseRetryAfter,
  errorText,
  type MpOutcome,
  type MpOutcomeKind,
  type MpAction,
} from './errors.js';
export { createClient, baseUrlOf, POD_HOSTS, type Credentials, type ClientOptions, type MpClient } from './client.js';
export { validateBatch, batchValidator, schemaForIdentity, loadSchema, type SchemaName } from './schema.js';
export { isUuid, attributeText } from './values.js';
export { deviceInfo, PLATFORM_NAMES, AD_ID_KEYS } from './device.js';
