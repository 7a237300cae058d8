import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { redisConfig, type RedisConfig } from '../../config/configuration';
import { CacheController } from './cache.controller';
import { CacheInvalidationListener } from './cache-invalidation.listener';
import { CacheService } from './cache.service';
import { ReadCacheInterceptor } from './read-cache.interceptor';

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
        // Fail fast while Redis is unreachable (no offline queue, no thrown errors) and keep
        // reconnecting: the cache then carries on with L1 and the database.
        const store = new KeyvRedis(
          {
            url: redis.url,
            disableOfflineQueue: true,
            socket: { connectTimeout: 1_000, reconnectStrategy: (attempt: number) => Math.min(attempt * 200, 2_000) },
          },
          { throwOnConnectError: false, throwOnErrors: false },
        );
        const keyv = new Keyv({ store, namespace: `${redis.keyPrefix}cache`, useKeyPrefix: true });
        keyv.on('error', () => undefined); // RedisService already reports Redis being down
        return { stores: [keyv] };
      },
    }),
  ],
  controllers: [CacheController],
  providers: [CacheService, ReadCacheInterceptor, CacheInvalidationListener],
  exports: [CacheService, ReadCacheInterceptor],
})
export class CachingModule {}
