import { describe, expect, it } from 'vitest';
import { eventType, MAPPABLE_TYPES } from '../../src/catalog/catalog.js';
import { channelQualifiedNames } from '../../src/mparticle/names.js';

function effectiveName(type: string, names: Record<string, string>): string {
  return names[type] ?? eventType(type)?.mparticle?.eventName ?? '';
}

describe('channelQualifiedNames', () => {
  it('shows the collision it exists for: Braze gives LINE and RCS the same names', () => {
    const plain = MAPPABLE_TYPES.map((t) => effectiveName(t, {})).filter((n) => n !== '');
    expect(new Set(plain).size).toBeLessThan(plain.length);
  });

  it('leaves no two mappable types with the same name', () => {
    const preset = channelQualifiedNames();
    const names = MAPPABLE_TYPES.map((t) => effectiveName(t, preset)).filter((n) => n !== '');
    expect(new Set(names).size).toBe(names.length);
  });

  it('prefixes colliding names with the channel and leaves unique names alone', () => {
    const preset = channelQualifiedNames();
    expect(preset['users.messages.line.Abort']).toBe('LINE Aborts');
    expect(preset['users.messages.rcs.Abort']).toBe('RCS Aborts');
    expect(preset['users.messages.line.Click']).toBe('LINE Clicks');
    expect(preset['users.messages.rcs.Send']).toBe('RCS Sends');
    expect(preset).not.toHaveProperty('users.messages.email.Send');
    expect(preset).not.toHaveProperty('users.messages.rcs.Delivery');
    for (const type of Object.keys(preset)) expect(MAPPABLE_TYPES).toContain(type);
  });
});
