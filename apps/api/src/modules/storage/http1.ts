import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { ByteSource } from './byte-source.js';

/**
 * A minimal HTTP/1.1 client for one GET per connection (`Connection: close`), made for streaming
 * large bodies: the socket reads into one reusable buffer (`onread`) and the body is copied from
 * there into the reader's buffers, so a download allocates nothing per chunk. (node:http allocates
 * two Buffers per 64 KiB read, one for the socket and one for the body, and the garbage
 * collections those trigger cost more than the rest of an ingest.)
 *
 * Only what a GET needs: status line and headers (1xx skipped), then a body framed by
 * Content-Length, chunked transfer coding, or the end of the connection. Anything malformed fails.
 */

/** Bytes of status line and headers accepted, like Node's default `maxHeaderSize`. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** One socket read; also the most body bytes held here while the reader is busy. */
const READ_BUFFER_BYTES = 512 * 1024;
const MAX_CHUNK_LINE = 4 * 1024;

export class Http1Error extends Error {}

export interface Http1Options {
  lookup: LookupFunction;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Error to fail with when the connection does not come up in time. */
  connectTimeoutError: () => Error;
  /** Trusted certificates instead of the system's (tests). */
  ca?: string | Buffer;
}

export interface Http1Response {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body's length when Content-Length delimits it. */
  contentLength: number | null;
  /** The body; destroy it to drop the connection. */
  body: Http1Body;
}

/**
 * Sends `GET url`. `response` resolves once the head arrived; `body` can be destroyed at any time
 * (e.g. when a time limit is reached before the head came).
 */
export function get(url: URL, options: Http1Options): { body: Http1Body; response: Promise<Http1Response> } {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const body = new Http1Body();
  const onread: net.OnReadOpts = { buffer: body.readBuffer, callback: (length) => body.received(length) };
  // tls.connect takes `onread` too (reading decrypted bytes into the buffer); its types lack it.
  const socket = secure
    ? tls.connect({ host, port, lookup: options.lookup, onread, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ca: options.ca } as tls.ConnectionOptions)
    : net.connect({ host, port, lookup: options.lookup, onread });
  const head = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(options.headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  socket.write(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
  return { body, response: body.attach(socket, secure ? 'secureConnect' : 'connect', options) };
}

type Framing = { type: 'length'; remaining: number } | { type: 'chunked' } | { type: 'close' } | { type: 'none' };
type Phase = 'head' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'data' | 'done';

/** The response of one connection: its head, then its body as a byte source. */
export class Http1Body implements ByteSource {
  readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  /** Unread bytes in `readBuffer`; the socket reads again only once they are all taken. */
  private start = 0;
  private end = 0;
  private socket: net.Socket | null = null;
  private paused = false;
  private phase: Phase = 'head';
  private framing: Framing = { type: 'none' };
  /** Left of the current chunk (chunked coding). */
  private chunkRemaining = 0;
  /** A head or a chunk line split across reads. */
  private line: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;
  private ended = false;
  private headDone: ((response: Http1Response) => void) | null = null;
  private headFailed: ((error: Error) => void) | null = null;
  /** The read in progress: it resolves once its target is full, or at the end of the body. */
  private pending: { target: Uint8Array; filled: number; resolve: (length: number) => void; reject: (error: Error) => void } | null = null;
  private settledListeners: Array<() => void> = [];
  private trailerBytes = 0;

  attach(socket: net.Socket, readyEvent: 'connect' | 'secureConnect', options: Http1Options): Promise<Http1Response> {
    this.socket = socket;
    return new Promise((resolve, reject) => {
      this.headDone = resolve;
      this.headFailed = reject;
      const connectTimer = setTimeout(() => this.destroy(options.connectTimeoutError()), options.connectTimeoutMs);
      socket.once(readyEvent, () => clearTimeout(connectTimer));
      socket.on('error', (error) => this.fail(error));
      socket.once('end', () => this.eof());
      socket.once('close', () => {
        clearTimeout(connectTimer);
        this.eof();
      });
    });
  }

  /** Runs once the body ended or failed (not on a head failure before `get` resolved). */
  onSettled(listener: () => void): void {
    if (this.phase === 'done' || this.failure) listener();
    else this.settledListeners.push(listener);
  }

  /**
   * Fills `target` (fewer bytes only at the end of the body). Waiting for a full target instead of
   * handing over each socket read makes one round of promises per buffer, not per packet.
   */
  read(target: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('One read at a time'));
    if (target.length === 0 || this.phase === 'done') return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.pending = { target, filled: 0, resolve, reject };
      this.pump();
    });
  }

  destroy(error?: Error): void {
    this.fail(error ?? new Error('The download was stopped'));
    this.socket?.destroy();
  }

  /** The socket read `length` bytes into `readBuffer` (always at 0: it only reads when the buffer is empty). */
  received(length: number): boolean {
    this.start = 0;
    this.end = length;
    this.pump();
    const more = this.start === this.end && this.phase !== 'done' && !this.failure;
    this.paused = !more;
    return more;
  }

  private eof(): void {
    if (this.ended) return;
    this.ended = true;
    this.pump();
  }

  /** Moves buffered bytes through the parser and into the pending read, as far as they go. */
  private pump(): void {
    try {
      while (!this.failure && this.phase !== 'done') {
        if (this.phase === 'head') {
          if (!this.parseHead()) break;
        } else if (this.phase === 'chunk-size' || this.phase === 'chunk-end' || this.phase === 'trailers') {
          if (!this.parseChunkLine()) break;
        } else {
          // Body bytes: 'data' (length or close framing) or 'chunk-data'.
          if (!this.pending || this.start === this.end) break;
          const limit = this.phase === 'chunk-data' ? this.chunkRemaining : this.framing.type === 'length' ? this.framing.remaining : Infinity;
          const pending = this.pending;
          const length = Math.min(this.end - this.start, pending.target.length - pending.filled, limit);
          pending.target.set(this.readBuffer.subarray(this.start, this.start + length), pending.filled);
          pending.filled += length;
          this.start += length;
          if (pending.filled === pending.target.length) this.deliver();
          if (this.phase === 'chunk-data') {
            this.chunkRemaining -= length;
            if (this.chunkRemaining === 0) this.phase = 'chunk-end';
          } else if (this.framing.type === 'length') {
            this.framing.remaining -= length;
            if (this.framing.remaining === 0) this.finish();
          }
        }
      }
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (this.phase !== 'done' && this.ended && this.start === this.end && !this.failure) {
      if (this.phase === 'data' && this.framing.type === 'close') this.finish();
      else this.fail(new Http1Error(this.phase === 'head' ? 'The server closed the connection without an answer' : 'The connection closed before the whole body arrived'));
    }
    if (this.phase === 'done') this.deliver();
    // Everything buffered was taken: read more (when a read waits, or to fill the buffer ahead).
    if (this.paused && this.start === this.end && this.phase !== 'done' && !this.failure && this.socket && !this.ended) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private deliver(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    pending.resolve(pending.filled);
  }

  /** Takes bytes up to and including `terminator` into `line`; returns the whole line once found. */
  private takeLine(terminator: string, max: number): Buffer | null {
    const available = this.readBuffer.subarray(this.start, this.end);
    // The terminator may straddle the previous bytes.
    const joined = this.line.length ? Buffer.concat([this.line, available]) : available;
    const from = Math.max(0, this.line.length - terminator.length + 1);
    const at = joined.indexOf(terminator, from, 'latin1');
    if (at === -1) {
      if (joined.length > max) throw new Http1Error(this.phase === 'head' ? `The response head is larger than ${max} bytes` : 'A chunk size line is too long');
      this.line = Buffer.from(joined);
      this.start = this.end;
      return null;
    }
    const lineEnd = at + terminator.length;
    if (lineEnd > max) throw new Http1Error(this.phase === 'head' ? `The response head is larger than ${max} bytes` : 'A chunk size line is too long');
    this.start += lineEnd - this.line.length;
    const whole = Buffer.from(joined.subarray(0, lineEnd));
    this.line = Buffer.alloc(0);
    return whole;
  }

  private parseHead(): boolean {
    if (this.start === this.end) return false;
    const head = this.takeLine('\r\n\r\n', MAX_HEADER_BYTES);
    if (!head) return false;
    const lines = head.toString('latin1').slice(0, -4).split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/.exec(lines[0]);
    if (!statusLine) throw new Http1Error('The server did not answer in HTTP/1.x');
    const status = Number(statusLine[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (!match) throw new Http1Error('The response has a malformed header');
      const name = match[1].toLowerCase();
      headers[name] = name in headers ? `${headers[name]}, ${match[2]}` : match[2];
    }
    // 1xx are interim answers; the real one follows. (101 would switch protocols: we never ask.)
    if (status >= 100 && status < 200) {
      if (status === 101) throw new Http1Error('The server switched protocols');
      return true;
    }
    this.framing = framingOf(status, headers);
    if (this.framing.type === 'chunked') this.phase = 'chunk-size';
    else if (this.framing.type === 'none' || (this.framing.type === 'length' && this.framing.remaining === 0)) this.finish();
    else this.phase = 'data';
    const done = this.headDone;
    this.headDone = this.headFailed = null;
    done?.({ status, headers, contentLength: this.framing.type === 'length' ? this.framing.remaining : this.framing.type === 'none' ? 0 : null, body: this });
    return true;
  }

  private parseChunkLine(): boolean {
    if (this.start === this.end) return false;
    const line = this.takeLine('\r\n', MAX_CHUNK_LINE);
    if (!line) return false;
    const text = line.toString('latin1', 0, line.length - 2);
    if (this.phase === 'trailers' && (this.trailerBytes += line.length) > MAX_HEADER_BYTES) throw new Http1Error(`The response trailers are larger than ${MAX_HEADER_BYTES} bytes`);
    if (this.phase === 'chunk-end') {
      if (text !== '') throw new Http1Error('A chunk is longer than its size says');
      this.phase = 'chunk-size';
    } else if (this.phase === 'chunk-size') {
      const size = /^([0-9a-fA-F]{1,12})(?:[ \t]*;.*)?$/.exec(text);
      if (!size) throw new Http1Error('The response has a malformed chunk size');
      this.chunkRemaining = parseInt(size[1], 16);
      this.phase = this.chunkRemaining === 0 ? 'trailers' : 'chunk-data';
    } else if (text === '') {
      this.finish();
    }
    // Trailer fields are read and ignored.
    return true;
  }

  private finish(): void {
    this.phase = 'done';
    this.socket?.destroy();
    this.settle();
  }

  private fail(error: Error): void {
    if (this.failure || this.phase === 'done') return;
    this.failure = error;
    this.socket?.destroy();
    const headFailed = this.headFailed;
    this.headDone = this.headFailed = null;
    if (headFailed) headFailed(error);
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
    this.settle();
  }

  private settle(): void {
    const listeners = this.settledListeners;
    this.settledListeners = [];
    for (const listener of listeners) listener();
  }
}

/** How the body of a response to a GET is delimited (RFC 9112 §6.3). */
function framingOf(status: number, headers: Record<string, string>): Framing {
  if (status === 204 || status === 304) return { type: 'none' };
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    // Both at once is ambiguous (how request smuggling works): refused, as Node's parser does.
    if (contentLength !== undefined) throw new Http1Error('The response has both Transfer-Encoding and Content-Length');
    const codings = transferEncoding.split(',').map((coding) => coding.trim().toLowerCase());
    // Chunked must come last; otherwise the body runs to the end of the connection.
    return codings[codings.length - 1] === 'chunked' ? { type: 'chunked' } : { type: 'close' };
  }
  if (contentLength !== undefined) {
    const values = new Set(contentLength.split(',').map((value) => value.trim()));
    const [value] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(value)) throw new Http1Error('The response has an invalid Content-Length');
    return { type: 'length', remaining: Number(value) };
  }
  return { type: 'close' };
}
