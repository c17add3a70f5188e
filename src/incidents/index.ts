export { IncidentDeliveryEntity } from './incident-delivery.entity';
export { IncidentEntity } from './incident.entity';
export { IncidentResolver } from './incident.resolver';
export { ESCALATION_DELIVERY_KIND, IncidentService, type DeliveryRequest } from './incident.service';
export { IncidentStatus } from './incident.state';
export { Incident } from './incident.types';
