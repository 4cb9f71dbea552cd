/** The endpoint agent (endpointAgent.ts tells its life; docs/architecture.md lists its files). */
export { EndpointAgent, longestDrainMs, type AgentDeps, type AgentStats } from './endpointAgent.js';
export { acceptableException } from './resultShaping.js';
export { spreadAround } from './heartbeater.js';
