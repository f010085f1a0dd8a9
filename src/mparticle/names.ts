import { EVENT_TYPES } from '../catalog/catalog.js';

/** How a channel is written in front of an event name. Channels not listed are capitalised. */
const CHANNEL_LABELS: Readonly<Record<string, string>> = Object.freeze({
  line: 'LINE',
  rcs: 'RCS',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  email: 'Email',
  pushnotification: 'Push Notification',
  inappmessage: 'In-App Message',
  contentcard: 'Content Card',
  webhook: 'Webhook',
});

function channelLabel(channel: string | null, typeName: string): string {
  const key = channel ?? typeName.split('.').slice(-2, -1)[0] ?? typeName;
  const label = CHANNEL_LABELS[key];
  if (label !== undefined) return label;
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/**
 * A preset for an export's `eventNames`: Braze gives several types the same mParticle name (LINE and RCS both send
 * "Aborts", "Clicks", "Sends"), which makes them indistinguishable in mParticle. For every mappable type whose name
 * collides with another's, this gives the name prefixed by its channel ("LINE Aborts", "RCS Aborts"). Types whose
 * name is unique are not in the result.
 */
export function channelQualifiedNames(): Record<string, string> {
  const typesByName = new Map<string, string[]>();
  for (const type of EVENT_TYPES) {
    const name = type.mparticle?.eventName;
    if (name === undefined || name === '') continue;
    typesByName.set(name, [...(typesByName.get(name) ?? []), type.name]);
  }
  const names: Record<string, string> = {};
  for (const [name, types] of typesByName) {
    if (types.length < 2) continue;
    for (const typeName of types) {
      const info = EVENT_TYPES.find((t) => t.name === typeName);
      names[typeName] = `${channelLabel(info?.channel ?? null, typeName)} ${name}`;
    }
  }
  return names;
}
