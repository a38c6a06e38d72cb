export type { ReplayStore } from '../verify/replay-store.js';
export { createMemoryReplayStore, type MemoryReplayStoreOptions } from './memory-replay-store.js';
export { createRedisReplayStore, type RedisReplayStoreOptions, type RedisClientLike } from './redis-replay-store.js';
export { createChallengeStore, type ChallengeStore, type ChallengeStoreOptions, type Challenge } from './challenges.js';
export type { BindingOptions, NonceConsumer } from '../verify/bind.js';
