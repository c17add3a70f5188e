export { CredentialsCipher } from './credentials-cipher';
export { EscalationDeliveryHandler } from './escalation-delivery.handler';
export { EscalationEvaluator } from './escalation-evaluator';
export { EscalationPolicyEntity } from './escalation-policy.entity';
export { EscalationPolicyService } from './escalation-policy.service';
export { EscalationResolver } from './escalation.resolver';
export { ProviderName, type EscalationProvider } from './escalation.port';
export { mountInboundWebhooks } from './inbound-webhooks';
export { Pacer } from './pacer';
