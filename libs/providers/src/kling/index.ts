export * from './auth.js';
export * from './client.js';
export * from './models.js';
export * from './task.js';
