import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { RetryTimeouts1764400000000 } from './1764400000000-retry-timeouts';
import { Escalation1764500000000 } from './1764500000000-escalation';
import { MinuteStats1764600000000 } from './1764600000000-minute-stats';
import { AttributeStats1764700000000 } from './1764700000000-attribute-stats';
import { PurgeRuns1764800000000 } from './1764800000000-purge-runs';
import { CloseTimes1764900000000 } from './1764900000000-close-times';
import { CoveringStatsIndexes1765000000000 } from './1765000000000-covering-stats-indexes';
import { HourStats1765100000000 } from './1765100000000-hour-stats';
import { ExactAttributeValues1765200000000 } from './1765200000000-exact-attribute-values';
import { ExactIdentifiers1765250000000 } from './1765250000000-exact-identifiers';
import { RollupTiers1765300000000 } from './1765300000000-rollup-tiers';
import { GroupActivityIndex1765400000000 } from './1765400000000-group-activity-index';

/** MySQL / MariaDB migrations, oldest first. */
export const mysqlMigrations = [InitialSchema1764300000000, RetryTimeouts1764400000000, Escalation1764500000000, MinuteStats1764600000000, AttributeStats1764700000000, PurgeRuns1764800000000, CloseTimes1764900000000, CoveringStatsIndexes1765000000000, HourStats1765100000000, ExactAttributeValues1765200000000, ExactIdentifiers1765250000000, RollupTiers1765300000000, GroupActivityIndex1765400000000];
