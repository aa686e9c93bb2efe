export * from './actions.js';
export * from './client.js';
export * from './params.js';
export * from './task.js';
