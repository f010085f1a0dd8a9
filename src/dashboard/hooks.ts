import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Api } from './api/client.js';

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi needs a signed-in <ApiContext.Provider>');
  return api;
}

export interface Polled<T> {
  data: T | null;
  error: Error | null;
  /** Load again now (after an action), without waiting for the next tick. */
  reload: () => void;
}

/**
 * Load with the API now and again every `intervalMs` (0: once). Requests never overlap: the next one is scheduled
 * when the previous one settles, so a slow service is not piled on.
 */
export function usePoll<T>(load: (api: Api) => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const api = useApi();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const wake = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let running = false;
    let again = false;
    const tick = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      window.clearTimeout(timer);
      try {
        const value = await loadRef.current(api);
        if (!stopped) {
          setData(value);
          setError(null);
        }
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e : new Error(String(e)));
      } finally {
        running = false;
        if (!stopped) {
          if (again) {
            again = false;
            void tick();
          } else if (intervalMs > 0) {
            timer = window.setTimeout(() => void tick(), intervalMs);
          }
        }
      }
    };
    wake.current = () => void tick();
    setData(null);
    setError(null);
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [api, intervalMs, key]);

  const reload = useCallback(() => wake.current(), []);
  return { data, error, reload };
}

/** The current time, refreshed every few seconds, for "3 min ago" texts. */
export function useNow(everyMs = 5000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Move focus to the page's heading when the page changes, so screen readers and keyboards start at the top. */
export function useFocusHeading<T extends HTMLElement>(key: string) {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [key]);
  return ref;
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Currents → mParticle`;
  }, [title]);
}
