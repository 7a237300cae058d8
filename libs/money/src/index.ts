export * from './amount';
export * from './split';
