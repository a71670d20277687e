export { seededRandom, zipfSampler } from './workload-random';
