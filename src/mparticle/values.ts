/** Small value conversions the mapping needs, kept apart so each rule is tested on its own. */

/**
 * The shape mParticle's schema calls a UUID (any version, either case): 8-4-4-4-12 hex digits. Checked by hand: it
 * runs several times per event, and the equivalent regular expression cost a tenth of mapping time.
 */
export function isUuid(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) {
      return false;
    }
  }
  return true;
}

/**
 * A number as plain decimal text: mParticle stores attributes as strings, and "1e+21" would read as text. The
 * shortest round-trip digits JavaScript prints are kept; only the exponent is written out.
 */
export function decimalText(n: number): string {
  const text = String(n);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(text);
  if (match === null) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A Currents value as an mParticle custom attribute: strings as they are, booleans "true"/"false", numbers as
 * decimal text, arrays and objects as JSON text. Absent and null give undefined (the attribute is left out).
 */
export function attributeText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return decimalText(value);
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? undefined : JSON.stringify(value);
    case 'symbol':
    case 'function':
      return undefined;
  }
}

/** A non-empty string, or undefined: identities and user attributes are never sent empty. */
export function nonEmptyText(value: unknown): string | undefined {
  const text = attributeText(value);
  return text === undefined || text.length === 0 ? undefined : text;
}
