export { RegistryResolver } from './registry.resolver';
export { ServiceRegistry } from './registry.service';
export { Service } from './registry.types';
export { ServiceEntity } from './service.entity';
