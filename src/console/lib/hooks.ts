import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError } from './api';
import { ConsoleContext } from './context';

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refetch: () => void;
}

/**
 * Runs a query when its variables change, again on `refetch`, and after the live connection
 * came back (events may have been missed while it was down). Keeps the last data while
 * reloading, so a refresh does not blank the view.
 */
export function useQuery<T>(query: string, variables: Record<string, unknown>): QueryState<T> {
  const { api, reconnects } = useContext(ConsoleContext);
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  const latest = useRef(0);

  useEffect(() => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    api.request<T>(query, variables).then(
      (data) => run === latest.current && setState({ data, loading: false }),
      (error: unknown) =>
        run === latest.current &&
        setState((s) => ({ data: s.data, error: error instanceof ApiError ? error : new ApiError(String(error), 'UNKNOWN'), loading: false })),
    );
  }, [api, query, key, tick, reconnects]);

  const refetch = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, refetch };
}

/** A live subscription for as long as the component shows, restarted when variables change. */
export function useSubscription<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, enabled = true): void {
  const { api } = useContext(ConsoleContext);
  const handler = useRef(onData);
  handler.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (!enabled) return;
    return api.subscribe<T>(query, variables, (data) => handler.current(data));
  }, [api, query, key, enabled]);
}

/** Calls `fn` at most once per `ms`, trailing: for refetching after bursts of live events. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}

/** Re-renders every `ms` so relative times ("3 min ago") stay true. */
export function useNow(ms = 15_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** A mutation with its pending state and error. */
export function useMutation<T>(api: Api, query: string): { run: (variables: Record<string, unknown>) => Promise<T | undefined>; pending: boolean; error: ApiError | undefined } {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = useCallback(
    async (variables: Record<string, unknown>) => {
      setPending(true);
      setError(undefined);
      try {
        return await api.request<T>(query, variables);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(String(e), 'UNKNOWN'));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [api, query],
  );
  return { run, pending, error };
}
