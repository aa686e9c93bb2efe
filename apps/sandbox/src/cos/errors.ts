/** A COS error answer: HTTP status plus the `Code`/`Message` of the XML body (cos.md §5). */
export class CosError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CosError';
  }
}

export const cosErrors = {
  noSuchBucket: () => new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.'),
  noSuchKey: () => new CosError(404, 'NoSuchKey', 'The specified key does not exist.'),
  noSuchUpload: () => new CosError(404, 'NoSuchUpload', 'The specified upload does not exist.'),
  invalidUri: (detail: string) => new CosError(400, 'InvalidURI', `Could not parse the specified URI: ${detail}`),
  invalidArgument: (detail: string) => new CosError(400, 'InvalidArgument', detail),
  entityTooLarge: (max: number) => new CosError(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed object size (${max} bytes).`),
  entityTooSmall: () => new CosError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.'),
  incompleteBody: () => new CosError(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  badDigest: () => new CosError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.'),
  invalidDigest: () => new CosError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.'),
  malformedXml: () => new CosError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.'),
  invalidPart: () => new CosError(400, 'InvalidPart', 'One or more of the specified parts could not be found or the specified ETag did not match.'),
  invalidPartOrder: () => new CosError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.'),
  invalidRange: () => new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.'),
  preconditionFailed: () => new CosError(412, 'PreconditionFailed', 'At least one of the preconditions you specified did not hold.'),
  methodNotAllowed: () => new CosError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'),
  notImplemented: () => new CosError(501, 'NotImplemented', 'The provider sandbox does not implement this COS operation.'),
  internal: (detail = 'Internal Server Error.') => new CosError(500, 'InternalError', detail),
  slowDown: () => new CosError(429, 'SlowDown', 'Please reduce your request rate.'),
};
