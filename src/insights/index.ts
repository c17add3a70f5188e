export { InsightsResolver } from './insights.resolver';
export { InsightsService } from './insights.service';
export { MinuteStatsWriter } from './minute-stats';
export { AttributeStatsWriter } from './attribute-stats';
export { RetentionService } from './retention';
export { RECENT_COUNTS_MAX_MINUTES, RecentCountsReader, type RecentCountsKey } from './recent-counts';
