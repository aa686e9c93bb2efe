import { ValidationPipe, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { createSandbox } from '@atelier/sandbox';
import { AppModule } from './app.module.js';
import { AppLogger } from './common/logging.js';
import { AllExceptionsFilter, answerError, errorBody } from './common/error.filter.js';
import { contain, installProcessGuards } from './common/process-guard.js';
import { requestIdOf } from './common/request-id.js';
import { BodyProblemInterceptor, deferInvalidJson, refuseOtherBodyTypes } from './common/body-type.js';
import { rememberLanguage, say } from './common/language.js';
import { RequestValuesPipe } from './common/request-values.pipe.js';
import { finishOpenApiDocument } from './common/openapi-document.js';
import { safeDownloadName } from './modules/storage/download-name.js';
import { FieldValidationException, flattenValidationErrors } from './common/errors.js';
import type { AppConfig } from './config/app-config.js';

/** Paths the API owns; everything else is the single-page app. */
const SERVER_PATHS = /^\/(api|media|sandbox)(\/|$)/;

export async function createApp(config: AppConfig, databaseUrl?: string): Promise<NestExpressApplication> {
  installProcessGuards();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl }), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(AppLogger));
  app.enableShutdownHooks();
  configureApp(app, config);
  return app;
}

function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // API answers are not cached by validators: hashing every JSON body for an ETag is wasted work.
  // (Media and web-app files get theirs from the static file server.)
  app.set('etag', false);
  // Each request runs contained: should anything it starts throw from a callback or an event
  // listener (past every try/catch), the process guard hands the error here and the request gets
  // its 5xx instead of hanging. The id is set first, so even the media files' errors name it.
  app.use((req: Request, res: Response, next: NextFunction) => {
    requestIdOf(req, res);
    // (A connection or timer made while serving it can outlive the request: once it is answered,
    // the process guard's log is all there is to do.)
    contain((error) => void (res.writableEnded || answerError(error, req, res)), next);
  });
  if (config.sandbox.enabled) mountSandbox(app, config);
  const sandboxOrigins = config.sandbox.enabled ? ['http://127.0.0.1:*', 'http://localhost:*'] : [];
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Swagger UI and Svelte's transitions set inline styles.
          'style-src': ["'self'", "'unsafe-inline'"],
          // Files may live on COS or a CDN domain the admin configures at run time, and the
          // sandbox COS answers on this server's own port under another host name.
          'img-src': ["'self'", 'data:', 'blob:', 'https:', ...sandboxOrigins],
          'media-src': ["'self'", 'blob:', 'https:', ...sandboxOrigins],
          // Self-hosted installs are often reached over plain http on a LAN address, where
          // upgrading every request to https would break the app.
          'upgrade-insecure-requests': null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (config.corsOrigins === true || config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['Retry-After', 'X-Request-Id'] });
  }
  app.use('/api', refuseOtherBodyTypes);
  app.use(express.json({ limit: config.bodyLimitBytes }));
  app.use('/api', deferInvalidJson);
  // After the body parser: its callbacks would run outside the language's context.
  app.use(rememberLanguage);
  // `?download=<name>` saves a file under a name people can read (the web app makes it from the
  // prompt and date) instead of its hash; content-disposition (through res.attachment) writes both
  // an ASCII fallback and filename*=UTF-8'' for names in Chinese.
  app.use('/media', (req: Request, res: Response, next: NextFunction) => {
    const asked = req.query.download;
    const name = typeof asked === 'string' ? safeDownloadName(asked, req.path) : null;
    if (name) res.attachment(name);
    next();
  });
  // Files of the local storage driver: unguessable keys, long-lived, with Range for video seeking.
  app.use(
    '/media',
    express.static(join(config.dataDir, 'media'), { index: false, dotfiles: 'deny', immutable: true, maxAge: '365d', fallthrough: false }),
    // send (under express.static) reports a missing file (ENOENT, ENOTDIR, a name too long) as a
    // 404 that is not "exposed", which the generic rule below would answer 500: here any 4xx it
    // raises is what the client asked wrongly for.
    (error: unknown, req: Request, res: Response, next: NextFunction) => {
      const status = (error as { status?: unknown })?.status;
      if (typeof status !== 'number' || status < 400 || status >= 500 || res.headersSent) return next(error);
      // Not a file to save, whatever `?download=` asked for.
      res.removeHeader('Content-Disposition');
      res.status(status).json(errorBody(status, status === 404 ? say('File not found', '文件不存在') : (STATUS_CODES[status] ?? 'Bad request')));
    },
  );
  // Errors raised by the body parsers and media files above never reach Nest's filters.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent && res.writableEnded) return next(error);
    answerError(error, req, res);
  });
  serveWebApp(app, config.webDistDir);

  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(
    // First, and after the guards (pipes always are): unstorable text and forbidden nulls.
    new RequestValuesPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Values are read only to tell a missing field (see flattenValidationErrors), never sent back.
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => new FieldValidationException(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalInterceptors(new BodyProblemInterceptor());

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs/openapi.json',
    yamlDocumentUrl: 'api/docs/openapi.yaml',
    customSiteTitle: 'Atelier API',
    swaggerOptions: { persistAuthorization: true },
  });
}

export function buildOpenApiDocument(app: NestExpressApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Atelier API')
    .setDescription(
      'REST API of Atelier, a self-hosted AI image and video studio. Authenticate with `Authorization: Bearer <token>`, ' +
        'using either the JWT returned by sign-in or a personal API key (`atl_...`). Errors always have the shape ' +
        '`{ statusCode, error, message, details? }`.',
    )
    .setVersion(config.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A JWT from sign-in, or an API key (atl_...)' })
    .build();
  const document = SwaggerModule.createDocument(app, builder, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  return finishOpenApiDocument(document, app);
}

/**
 * The provider sandbox stands in for external services, so it is mounted ahead of our own body
 * parsers and conventions: it must see raw request bodies and answer in each provider's format.
 */
function mountSandbox(app: NestExpressApplication, config: AppConfig): void {
  const { queueMs, runMinMs, runMaxMs, outputTtlSeconds } = config.sandbox;
  const sandbox = createSandbox({
    dataDir: join(config.dataDir, 'sandbox'),
    timing: { queueMs, runMinMs, runMaxMs },
    outputTtlSeconds,
  });
  app.use('/sandbox', sandbox.router);
  app.getHttpServer().once('close', () => sandbox.close());
}

function serveWebApp(app: NestExpressApplication, webDistDir: string): void {
  const index = join(webDistDir, 'index.html');
  app.use('/assets', express.static(join(webDistDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: true }));
  // Not for the API's paths: looking each API request up on disk first costs a file-system call.
  const files = express.static(webDistDir, { index: false, maxAge: '1h' });
  app.use((req: Request, res: Response, next: NextFunction) => (SERVER_PATHS.test(req.path) ? next() : files(req, res, next)));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVER_PATHS.test(req.path)) return next();
    if (!existsSync(index)) {
      res.status(503).json({ statusCode: 503, error: 'Service Unavailable', message: 'The web app is not built: run npm start' });
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
