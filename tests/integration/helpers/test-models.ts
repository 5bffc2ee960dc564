/**
 * The tests' model folder: tests/fixtures/models holds `tiny-test` (a fixed filter, not a trained
 * model; tests/fixtures/models/tiny-test/README.md). It lives outside `models/` so users never see
 * it as an installed model; tests point ISEG_MODELS_DIR here.
 */
import path from 'node:path';

export const TEST_MODELS_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models');
export const TINY_TEST_DIR = path.join(TEST_MODELS_DIR, 'tiny-test');
