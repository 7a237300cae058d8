import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { Keyv } from '@keyv/redis';
import { redisConfig, type RedisConfig } from '../../config/configuration';
import { CacheController } from './cache.controller';
import { CacheInvalidationListener } from './cache-invalidation.listener';
import { CacheService } from './cache.service';
import { CacheWarming } from './cache-warming';
import { L2Cache } from './l2-cache';
import { L2Store } from './l2-store';
import { ReadCacheInterceptor } from './read-cache.interceptor';
import { TagRules } from './tag-rules';
import { TagTokens } from './tag-tokens';

/**
 * The read cache: L1 in process, L2 in Redis (@nestjs/cache-manager with @keyv/redis). Global so
 * that any controller can mark a read model @CachedRead; it reacts to features' events and never
 * imports their internals.
 */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [redisConfig.KEY],
      useFactory: (redis: RedisConfig) => {
        const store = new L2Store(redis.url, 1_000);
        const keyv = new Keyv({ store, namespace: `${redis.keyPrefix}cache`, useKeyPrefix: true });
        keyv.on('error', () => undefined); // RedisService already reports Redis being down
        return { stores: [keyv] };
      },
    }),
  ],
  controllers: [CacheController],
  providers: [
    CacheService,
    L2Cache,
    TagTokens,
    TagRules,
    CacheWarming,
    ReadCacheInterceptor,
    CacheInvalidationListener,
  ],
  exports: [CacheService, TagTokens, TagRules, CacheWarming, ReadCacheInterceptor],
})
export class CachingModule {}
