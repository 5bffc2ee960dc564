/**
 * `npm install` builds the web app once (postinstall), so the first `npm start` on a fresh clone
 * answers within a minute instead of building first; `npm start` rebuilds only when the sources
 * changed since (build-if-needed.ts). ISEG_BUILD_ON_INSTALL=0 skips it (the first start builds).
 */
import path from 'node:path';
import { buildIfNeeded, BuildError } from './build-if-needed';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
if (process.env.ISEG_BUILD_ON_INSTALL === '0') process.exit(0);
try {
  buildIfNeeded({ root, log: (l) => console.log(`[iseg-qa] ${l}`) });
} catch (e) {
  if (e instanceof BuildError) {
    console.error(`[iseg-qa] ${e.message}`);
    process.exit(1);
  }
  throw e;
}
