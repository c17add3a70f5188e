import type { ComponentChildren } from 'preact';
import type { ApiError } from '../lib/api';
import { formatAgo, formatUtc } from '../lib/format';

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge severity-${severity.toLowerCase()}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status status-${status.toLowerCase()}`}>{status}</span>;
}

/** A relative time with the exact UTC time on hover and for screen readers. */
export function Ago({ at, now }: { at: string; now?: Date }) {
  return (
    <time dateTime={at} title={formatUtc(at)}>
      {formatAgo(at, now)}
    </time>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="state" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function ErrorState({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="state error" role="alert">
      <p>
        <strong>Could not load.</strong> {error.message} <code>{error.code}</code>
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Loading, error and empty states around a view's content, in one place. */
export function Loadable<T>(props: {
  state: { data: T | undefined; error: ApiError | undefined; loading: boolean; refetch: () => void };
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error, loading, refetch } = props.state;
  if (error && !data) return <ErrorState error={error} retry={refetch} />;
  if (!data) return loading ? <Loading what={props.what} /> : null;
  return (
    <>
      {error && <ErrorState error={error} retry={refetch} />}
      {props.children(data)}
    </>
  );
}

/**
 * A labelled <select> over fixed values. With `anyLabel`, an empty first option clears the
 * choice (the value becomes undefined).
 */
export function ChoiceSelect<T extends string>(props: {
  label: string;
  value: T | undefined;
  choices: readonly T[];
  onChange: (value: T | undefined) => void;
  anyLabel?: string;
  describe?: (value: T) => string;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value ?? ''} onChange={(e) => props.onChange(((e.target as HTMLSelectElement).value || undefined) as T | undefined)}>
        {props.anyLabel !== undefined && <option value="">{props.anyLabel}</option>}
        {props.choices.map((choice) => (
          <option key={choice} value={choice}>
            {props.describe ? props.describe(choice) : choice}
          </option>
        ))}
      </select>
    </label>
  );
}
