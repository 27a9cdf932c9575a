import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSortedSchema } from '../resolvers/index.js';

/** Writes schema.graphql from the Pothos builder (sorted). */
const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printSortedSchema());
console.log(`wrote ${target}`);
