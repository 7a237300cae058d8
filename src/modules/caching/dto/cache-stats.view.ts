import { ApiProperty } from '@nestjs/swagger';

export class L1CountsView {
  @ApiProperty() hits: number;
  @ApiProperty() misses: number;
  @ApiProperty({ description: 'entries evicted to stay within the bounds (not expiries or invalidations)' })
  evictions: number;
}

export class L2CountsView {
  @ApiProperty({ description: 'asked only on an L1 miss' }) hits: number;
  @ApiProperty() misses: number;
}

export class CacheCountsView {
  @ApiProperty({ type: L1CountsView }) l1: L1CountsView;
  @ApiProperty({ type: L2CountsView }) l2: L2CountsView;
  @ApiProperty({ description: 'values loaded from the database (misses of both levels, warming included)' })
  loads: number;
}

export class NamespaceCountsView extends CacheCountsView {
  @ApiProperty({ enum: ['account', 'portfolio', 'units', 'analytics'] }) namespace: string;
}

export class L1SizeView {
  @ApiProperty() entries: number;
  @ApiProperty({ description: 'approximate bytes held' }) bytes: number;
  @ApiProperty() maxEntries: number;
  @ApiProperty() maxBytes: number;
}

export class BoundedMapView {
  @ApiProperty({
    example: 'cache.tokens',
    description:
      'cache.tags (L1 keys by tag), cache.tokens (mirrored tag tokens), cache.loads (loads in flight), ' +
      'access.owners, access.grants, directory.accounts, directory.units',
  })
  name: string;
  @ApiProperty() size: number;
  @ApiProperty({ description: 'its bound: past it, the least recently used entry goes' }) max: number;
}

export class CacheStatsView {
  @ApiProperty({ description: 'CACHE_ENABLED' }) enabled: boolean;
  @ApiProperty({
    enum: ['up', 'down'],
    description: 'whether this instance receives invalidations (Redis pub/sub); down means L1 may lag other instances',
  })
  redis: 'up' | 'down';
  @ApiProperty({ type: L1SizeView }) l1: L1SizeView;
  @ApiProperty({ type: CacheCountsView, description: 'since this instance started' }) totals: CacheCountsView;
  @ApiProperty({ type: [NamespaceCountsView] }) namespaces: NamespaceCountsView[];
  @ApiProperty({ type: [BoundedMapView], description: "this instance's bounded in-process maps" })
  maps: BoundedMapView[];
}
