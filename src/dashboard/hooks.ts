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
  // What was loaded, and for which key: a new key shows nothing until its own answer arrives.
  const [state, setState] = useState<{ key: string; data: T | null; error: Error | null }>({
    key,
    data: null,
    error: null,
  });
  const wake = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

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
        if (!stopped) setState({ key, data: value, error: null });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        // A failed reload keeps what was shown, with the error beside it.
        if (!stopped) setState((s) => ({ key, data: s.key === key ? s.data : null, error }));
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
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [api, intervalMs, key]);

  const reload = useCallback(() => wake.current(), []);
  const current = state.key === key;
  return { data: current ? state.data : null, error: current ? state.error : null, reload };
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
