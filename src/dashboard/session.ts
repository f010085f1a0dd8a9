/** The admin token lives in sessionStorage: it survives reloads of the tab and is gone when the tab closes. */
const KEY = 'currents.adminToken';

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    // Storage disabled (a private mode, a policy): the user signs in again on each load.
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // As above: the token then lives in memory only.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was stored.
  }
}
