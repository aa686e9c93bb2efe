import type { NextFunction, Request, Response } from 'express';
import { errorBody } from './error.filter.js';

const ACCEPTED = /^(application\/([\w.+-]+\+)?json|multipart\/form-data)\s*(;|$)/i;

/**
 * The API reads JSON bodies (and multipart for uploads): any other body gets a 415 saying so,
 * rather than being parsed as nothing and answered with "model must be a string".
 */
export function refuseOtherBodyTypes(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || ACCEPTED.test(req.headers['content-type'] ?? '')) return next();
  res.status(415).json(errorBody(415, 'Send the body as JSON (Content-Type: application/json), or as multipart/form-data to upload a file'));
}
