// Public surface of the registry stage.
export { createRegistryClient, type RegistryOptions, type StatsRegistryClient } from './client.js';
export { loadCredentialStore } from './credentials.js';
export * from './types.js';
