import { ProviderName, type EscalationProvider } from '../escalation.port';
import { UnreachableCaseError } from '../../platform/errors';
import { OpsgenieProvider, type OpsgenieProviderOptions } from './opsgenie/opsgenie.provider';
import { PAGERDUTY_EVENTS_URL } from './pagerduty/pagerduty.mapper';
import { PagerDutyProvider, type PagerDutyProviderOptions } from './pagerduty/pagerduty.provider';

export * from './opsgenie/opsgenie.mapper';
export * from './opsgenie/opsgenie.provider';
export * from './pagerduty/pagerduty.mapper';
export * from './pagerduty/pagerduty.provider';
export { DEFAULT_PROVIDER_TIMEOUT_MS } from './http-delivery';
export { fitDetails, limitTags, stringifyDetail, truncateText } from './text-limits';

/** Options of each provider, by name; PagerDuty's `eventsUrl` defaults to `PAGERDUTY_EVENTS_URL`. */
export interface ProviderOptionsByName {
  PAGERDUTY: Partial<PagerDutyProviderOptions>;
  OPSGENIE: OpsgenieProviderOptions;
}

/** The adapter of one incident platform, with its options' defaults filled in. */
export function createProvider<N extends ProviderName>(name: N, options: ProviderOptionsByName[N] = {}): EscalationProvider {
  const provider = name as ProviderName;
  switch (provider) {
    case ProviderName.PAGERDUTY: {
      const pagerDuty = options as ProviderOptionsByName['PAGERDUTY'];
      return new PagerDutyProvider({ ...pagerDuty, eventsUrl: pagerDuty.eventsUrl ?? PAGERDUTY_EVENTS_URL });
    }
    case ProviderName.OPSGENIE:
      return new OpsgenieProvider(options as OpsgenieProviderOptions);
    default:
      throw new UnreachableCaseError(provider);
  }
}
