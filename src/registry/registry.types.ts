import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from '../auth';

registerEnumType(Role, { name: 'Role', description: 'What an API token may do.' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A reporting application (tenant) whose asynchronous task failures are collected here.' })
export class Service {
  @Field(() => ID, { description: 'Stable identifier.' })
  id: string;

  @Field(() => String, { description: 'Unique slug that reports and filters use.' })
  name: string;

  @Field(() => String, { description: 'Owning team.' })
  team: string;

  @Field(() => Int, { description: 'Business criticality from 1 (low) to 5 (critical).' })
  criticality: number;

  @Field(() => String, { nullable: true, description: 'Where retry requests are POSTed (signed), if set.' })
  retryWebhookUrl: string | null;

  @Field(() => Date, { description: 'When the service was registered.' })
  createdAt: Date;
}

@InputType({ description: 'A new reporting service.' })
export class CreateServiceInput {
  @Field(() => String, { description: 'Unique slug: lower-case letters, digits, "-", "_" or ".", at most 100 characters.' })
  name: string;

  @Field(() => String, { description: 'Owning team.' })
  team: string;

  @Field(() => Int, { defaultValue: 3, description: 'Business criticality from 1 (low) to 5 (critical).' })
  criticality: number;

  @Field(() => String, { nullable: true, description: 'http(s) URL that receives signed retry requests.' })
  retryWebhookUrl?: string | null;
}

@InputType({ description: 'Changes to a reporting service; omitted fields stay as they are.' })
export class UpdateServiceInput {
  @Field(() => String, { description: 'The service to change, by name.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'New owning team.' })
  team?: string | null;

  @Field(() => Int, { nullable: true, description: 'New criticality from 1 to 5.' })
  criticality?: number | null;

  @Field(() => String, { nullable: true, description: 'New retry webhook URL; an empty string removes it.' })
  retryWebhookUrl?: string | null;
}

@ObjectType({ description: 'A created service with its first reporter token and webhook secret, shown only this once.' })
export class CreateServicePayload {
  @Field(() => Service, { description: 'The new service.' })
  service: Service;

  @Field(() => String, { description: 'A REPORTER token for the service. Store it now: it cannot be shown again.' })
  token: string;

  @Field(() => String, { description: 'The HMAC-SHA256 key that signs retry requests to the webhook. Shown only now.' })
  retryWebhookSecret: string;
}

@InputType({ description: 'A new API token.' })
export class CreateApiTokenInput {
  @Field(() => Role, { description: 'What the token may do.' })
  role: Role;

  @Field(() => String, { nullable: true, description: 'Service name; required for REPORTER tokens, refused for the others.' })
  service?: string | null;

  @Field(() => String, { nullable: true, description: 'A label that audit entries show for this token.' })
  label?: string | null;
}

@ObjectType({ description: 'A created API token, shown only this once.' })
export class CreateApiTokenPayload {
  @Field(() => String, { description: 'The bearer token. Store it now: only its hash is kept.' })
  token: string;

  @Field(() => ID, { description: 'The token id, as audit entries name it.' })
  id: string;

  @Field(() => Role, { description: 'The token role.' })
  role: Role;
}

@ObjectType({ description: 'The caller, as its bearer token identifies it.' })
export class Me {
  @Field(() => Role, { description: 'What the token may do.' })
  role: Role;

  @Field(() => String, { description: 'How audit entries name the caller (the token label, or its role and id).' })
  actor: string;

  @Field(() => Service, { nullable: true, description: 'The service a REPORTER token reports for; null for the other roles.' })
  service: Service | null;
}
