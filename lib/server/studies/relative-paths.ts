/** Findings name files relative to the imported folder: readable, and no server temp paths. */
import path from 'node:path';

/** `p` relative to `root` (posix separators); `p` itself when outside it. */
export function relativePath(root: string, p: string): string {
  const r = path.relative(root, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r.split(path.sep).join('/') : p;
}

/** `message` with every `root/` prefix removed. */
export function relativeText(message: string, root: string): string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return message.split(prefix).join('');
}
