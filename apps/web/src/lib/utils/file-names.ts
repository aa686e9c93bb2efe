/** Most characters of a prompt kept in a file name: its first words say what the picture is. */
const MAX_PROMPT_CHARACTERS = 40;

/** The local calendar day, e.g. "2026-12-04". */
function localDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * A generated file's name made from its prompt and the day it was made, e.g.
 * "a-cat-on-a-sofa-2026-12-04.jpg" or "两只猫在沙发上-2026-12-04-2.png": letters and digits of every
 * script are kept (Chinese included), everything else becomes a dash; the server sanitises it
 * again when it is used to download (`?download=`).
 */
export function promptFileName(prompt: string, createdAt: string, extension: string, index = 0): string {
  const words = Array.from(
    prompt
      .normalize('NFC')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+/, ''),
  )
    .slice(0, MAX_PROMPT_CHARACTERS)
    .join('')
    .replace(/-+$/, '');
  const parts = [words, localDate(createdAt), index > 0 ? String(index + 1) : ''].filter(Boolean);
  return `${parts.join('-') || 'atelier'}${extension ? `.${extension}` : ''}`;
}

/** The extension of a URL's path, or one for the MIME type ("jpg" for image/jpeg). */
export function extensionOf(url: string | null | undefined, mimeType: string | null | undefined): string {
  const fromUrl = /\.([a-z0-9]{2,5})(?:$|[?#])/i.exec(url ?? '')?.[1];
  const fromType = mimeType?.split('/')[1]?.replace('jpeg', 'jpg').replace('quicktime', 'mov');
  return (fromUrl ?? fromType ?? 'bin').toLowerCase();
}

/**
 * Where to download a file under `name`: our own local files are asked for with `?download=`, so
 * the server answers with a Content-Disposition that carries the name (the `download` attribute
 * alone is ignored by some browsers, and loses Chinese names in others). Files elsewhere (COS)
 * keep their address.
 */
export function downloadHref(url: string, name: string): string {
  if (!url.startsWith('/media/')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}download=${encodeURIComponent(name)}`;
}
