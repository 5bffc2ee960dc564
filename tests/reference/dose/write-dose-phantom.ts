/**
 * Writes the small dose phantom (lib/dicom/dose-phantom.ts SMALL_DOSE_PHANTOM) into a folder:
 *   npx tsx tests/reference/dose/write-dose-phantom.ts DIR
 * Used by make-dose-tool-reference.py; the tests write the same files (the phantom is deterministic).
 */
import { SMALL_DOSE_PHANTOM, writeDosePhantom } from '@/lib/dicom';

const dir = process.argv[2];
if (!dir) throw new Error('usage: write-dose-phantom.ts DIR');
const f = await writeDosePhantom(dir, SMALL_DOSE_PHANTOM);
console.log(JSON.stringify({ ctDir: f.ctDir, rtstruct: f.rtstruct, rtdose: f.rtdose, rtplan: f.rtplan }));
