import { Module } from '@nestjs/common';
import { QueryAnalyzerController } from './query-analyzer.controller';
import { QueryAnalyzerRepository } from './query-analyzer.repository';
import { QueryAnalyzerService } from './query-analyzer.service';

/**
 * Admin insight into the database: the heaviest statements (pg_stat_statements) and the plans of
 * the service's key read queries. It imports the repositories' SQL text (never their classes), so
 * the plans shown are those of the statements that really run.
 */
@Module({
  controllers: [QueryAnalyzerController],
  providers: [QueryAnalyzerRepository, QueryAnalyzerService],
})
export class QueryAnalyzerModule {}
