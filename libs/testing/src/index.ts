export * from './databases';
export * from './test-app';
export * from './api';
export * from './eventually';
export * from './ports';
export * from './sink';
export * from './resources';
