import { useQuery } from '../lib/hooks';
import { SERVICES } from '../lib/operations';

/** The services to filter by, loaded from the API; "All services" clears the filter. */
export function ServiceSelect({ value, onChange }: { value: string | undefined; onChange: (service: string | undefined) => void }) {
  const { data } = useQuery<{ services: Array<{ id: string; name: string }> }>(SERVICES, {});
  const names = data?.services.map((s) => s.name) ?? [];
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <label>
      Service
      <select value={value ?? ''} onChange={(e) => onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">All services</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}
