export * from './sign.js';
