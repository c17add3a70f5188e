import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../auth';
import type { GraphQLContext } from '../context';
import { Failure } from '../failures/failure.types';
import type { FailureEntity } from '../failures/failure.entity';
import type { IngestionService } from './ingestion.service';
import { FailureReportInput, ReportFailuresPayload } from './ingestion.types';
import type { RawReport } from './report-normalizer';

/** Who may report failures (also checked by the schema's direct reportFailures resolver). */
export const INGESTION_ROLES = [Role.REPORTER, Role.ADMIN];

@Resolver()
export class IngestionResolver {
  constructor(private readonly ingestion: IngestionService) {}

  // Executed without type-graphql's argument conversion: see buildAppSchema.
  @Authorized(...INGESTION_ROLES)
  @Mutation(() => Failure, { description: 'Reports one failed task execution; a repeated idempotency key returns the failure stored first.' })
  async reportFailure(@Arg('input', () => FailureReportInput) input: RawReport, @Ctx() ctx: GraphQLContext): Promise<FailureEntity> {
    const result = await this.ingestion.report(ctx.principal!, [input], false);
    return result.failures[0]!;
  }

  // Executed without type-graphql's argument conversion: see buildAppSchema.
  @Authorized(...INGESTION_ROLES)
  @Mutation(() => ReportFailuresPayload, { description: 'Reports up to 1,000 failures, stored in one transaction: all or none.' })
  async reportFailures(@Arg('input', () => [FailureReportInput]) input: RawReport[], @Ctx() ctx: GraphQLContext): Promise<ReportFailuresPayload> {
    const { accepted, duplicates, failures } = await this.ingestion.report(ctx.principal!, input, true);
    return { accepted, duplicates, failures: failures as unknown as Failure[] };
  }
}
