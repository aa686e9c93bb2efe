import { extname } from 'node:path';

/** Longest name kept (in characters, before the extension): enough for a prompt's first words. */
const MAX_NAME_LENGTH = 100;

/**
 * A file name asked for in `?download=` made safe to save on any system: no path separators,
 * control characters or characters Windows refuses (`<>:"/\|?*`), no leading dots, at most
 * MAX_NAME_LENGTH characters; letters of every script (CJK included) are kept. The extension is
 * always the stored file's own, so a name can never turn a picture into something else.
 * Null when nothing usable is left (the file is then served without a suggested name).
 */
export function safeDownloadName(asked: string, storedKey: string): string | null {
  const extension = extname(storedKey).toLowerCase();
  const base = asked
    .normalize('NFC')
    .replace(/\.[a-z0-9]{2,5}$/i, '')
    // Control characters (C0, DEL, C1) and what file systems refuse.
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"/\\|?*]+/g, '-')
    .replace(/\s+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  const cut = Array.from(base).slice(0, MAX_NAME_LENGTH).join('').replace(/[-.]+$/, '');
  return cut ? `${cut}${extension}` : null;
}
