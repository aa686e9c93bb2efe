/** The few XML documents COS speaks, built and parsed without a dependency. Pure. */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

export function unescapeXml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? whole;
  });
}

/** A nested element tree: a string is text content, an array repeats the element. */
export type XmlValue = string | number | boolean | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

function element(name: string, value: XmlValue): string {
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => element(k, v)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function xmlDocument(root: string, value: XmlObject): string {
  return XML_DECLARATION + element(root, value);
}

/** The COS error body (cos.md §5); the SDK turns `Code` into `err.code`. */
export function errorXml(code: string, message: string, resource: string, requestId: string): string {
  return xmlDocument('Error', { Code: code, Message: message, Resource: resource, RequestId: requestId });
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/**
 * Parses the CompleteMultipartUpload body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>
 * <ETag>"…"</ETag></Part>…</CompleteMultipartUpload>`. The SDK's XML builder escapes the quotes of
 * the ETag as `&quot;`, so values are unescaped. Returns null for anything malformed.
 */
export function parseCompleteMultipartUpload(xml: string): CompletedPart[] | null {
  const body = /<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload>/.exec(xml);
  if (!body) return null;
  const parts: CompletedPart[] = [];
  const partPattern = /<Part>([\s\S]*?)<\/Part>/g;
  for (let match = partPattern.exec(body[1]); match; match = partPattern.exec(body[1])) {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(match[1]);
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(match[1]);
    if (!number || !etag) return null;
    parts.push({ partNumber: Number(number[1]), etag: unescapeXml(etag[1]).trim() });
  }
  return parts.length > 0 ? parts : null;
}
