import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../auth';
import type { GraphQLContext } from '../context';
import { Failure } from '../failures/failure.types';
import type { FailureEntity } from '../failures/failure.entity';
import type { IngestionService } from './ingestion.service';
import { FailureReportInput, ReportFailuresPayload } from './ingestion.types';

@Resolver()
export class IngestionResolver {
  constructor(private readonly ingestion: IngestionService) {}

  @Authorized(Role.REPORTER, Role.ADMIN)
  @Mutation(() => Failure, { description: 'Reports one failed task execution; a repeated idempotency key returns the failure stored first.' })
  async reportFailure(@Arg('input', () => FailureReportInput) input: FailureReportInput, @Ctx() ctx: GraphQLContext): Promise<FailureEntity> {
    const result = await this.ingestion.report(ctx.principal!, [input], false);
    return result.failures[0]!;
  }

  @Authorized(Role.REPORTER, Role.ADMIN)
  @Mutation(() => ReportFailuresPayload, { description: 'Reports up to 1,000 failures, stored in one transaction: all or none.' })
  async reportFailures(@Arg('input', () => [FailureReportInput]) input: FailureReportInput[], @Ctx() ctx: GraphQLContext): Promise<ReportFailuresPayload> {
    const { accepted, duplicates, failures } = await this.ingestion.report(ctx.principal!, input, true);
    return { accepted, duplicates, failures: failures as unknown as Failure[] };
  }
}
