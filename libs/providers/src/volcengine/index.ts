export * from './client.js';
export * from './models.js';
export * from './sign.js';
