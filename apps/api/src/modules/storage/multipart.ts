import { BadRequestException } from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { AsyncResource } from 'node:async_hooks';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';

/**
 * Streams the one file of a multipart/form-data request (field `file`) to `handle`, without
 * buffering it. `maxBytes` stops the parser early; the ingest meter reports the 413.
 */
export function receiveFile<T>(request: IncomingMessage, maxBytes: number, handle: (file: Readable, filename: string) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: 20, fileSize: maxBytes + 1, parts: 30 } });
    } catch {
      reject(new BadRequestException(say('Send the file as multipart/form-data in a field named "file"', '请以 multipart/form-data 在名为 "file" 的字段中发送文件')));
      return;
    }
    let result: Promise<T> | undefined;
    // The parser's events come from the socket: bound, they run in the request's context (its language).
    parser.on('file', AsyncResource.bind((name: string, stream: Readable, info: busboy.FileInfo) => {
      if (name !== 'file' || result) {
        stream.resume();
        return;
      }
      result = handle(stream, info.filename ?? 'upload');
      result.then(resolve, (error) => {
        // The handler stopped reading (wrong type, too big): stop parsing and let the rest of the
        // request drain, so the answer goes out at once.
        request.unpipe(parser);
        request.resume();
        reject(error);
      });
    }));
    parser.on('close', AsyncResource.bind(() => {
      if (!result) reject(fieldError('file', say('file is required: send it as multipart/form-data in a field named "file"', '缺少文件：请以 multipart/form-data 在名为 "file" 的字段中发送')));
    }));
    parser.on('error', (error: Error) => reject(result ? error : new BadRequestException(`The multipart body could not be read: ${error.message}`)));
    request.pipe(parser);
  });
}
