import { EVENT_TYPES, type EventTypeInfo } from '../../catalog/catalog.js';
import { FIELDS, UNTRANSFORMABLE_FIELDS } from '../../catalog/fields.js';
import { channelQualifiedNames } from '../../mparticle/index.js';
import type { Api } from '../api.js';
import { catalogAnswer } from '../schemas/catalog.js';

/**
 * The event catalog as the dashboard's checklist needs it, grouped as Braze's mParticle page groups it: Behaviors,
 * Campaigns, Canvas, then Messages by channel (Content Card, Email, In-app message, Push, SMS, Webhook, WhatsApp,
 * then the other channels the catalog has).
 */
const CHANNELS: [string, string][] = [
  ['contentcard', 'Content Card'],
  ['email', 'Email'],
  ['inappmessage', 'In-app message'],
  ['pushnotification', 'Push'],
  ['sms', 'SMS'],
  ['webhook', 'Webhook'],
  ['whatsapp', 'WhatsApp'],
  ['banner', 'Banner'],
  ['featureflag', 'Feature Flag'],
  ['line', 'LINE'],
  ['liveactivity', 'Live Activity'],
  ['rcs', 'RCS'],
  ['landingpage', 'Landing Page'],
  ['survey', 'Survey'],
];

export function groupOf(info: EventTypeInfo): { group: string; order: number } {
  if (info.category === 'behaviors') return { group: 'Behaviors', order: 0 };
  if (info.category === 'campaigns') return { group: 'Campaigns', order: 1 };
  if (info.category === 'canvas') return { group: 'Canvas', order: 2 };
  if (info.category === 'messages') {
    const at = CHANNELS.findIndex(([c]) => c === info.channel);
    if (at >= 0) return { group: `Messages: ${CHANNELS[at]![1]}`, order: 10 + at };
    return { group: `Messages: ${info.channel ?? 'other'}`, order: 50 };
  }
  return { group: 'Other', order: 90 };
}

export function registerCatalogRoute(api: Api): void {
  const qualified = channelQualifiedNames();
  const types = EVENT_TYPES.map((t) => {
    const { group, order } = groupOf(t);
    return {
      type: t.name,
      group,
      group_order: order,
      mappable: t.mparticle !== null,
      default_selected: t.listedOnPartnerPage && t.mparticle !== null,
      mparticle_name: t.mparticle?.eventName ?? null,
      channel_qualified_name: qualified[t.name] ?? t.mparticle?.eventName ?? null,
      platform_bound: t.platformBinding !== 'none',
    };
  }).sort((a, b) => a.group_order - b.group_order || a.type.localeCompare(b.type));
  // The fields a transformation may name, for the form's searchable list.
  const fields = FIELDS.filter((f) => UNTRANSFORMABLE_FIELDS[f.name] === undefined).map((f) => ({
    name: f.name,
    value_types: f.valueTypes,
    types: f.types,
  }));

  api.route({
    method: 'GET',
    url: '/v1/catalog',
    tag: 'catalog',
    summary: 'The 100 Currents event types, grouped, with their mParticle names; the fields transformations may name',
    auth: 'viewer',
    responses: {
      200: {
        description: 'event types, and every field with its value types and the event types that have it',
        schema: catalogAnswer,
      },
    },
    handler: async () => ({ types, fields }),
  });
}
