import { fileURLToPath } from 'node:url';

/** The repository root: the NodejsFunction project root (its package-lock.json pins the bundle). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the Lambda entry points live: `functions/<domain>/handler.ts` and `consumer.ts`. */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions', import.meta.url));
