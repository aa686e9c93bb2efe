import { Injectable, Logger, type OnApplicationBootstrap, PayloadTooLargeException, ServiceUnavailableException, UnsupportedMediaTypeException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import sharp, { type Sharp } from 'sharp';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { DataSource, type EntityManager } from 'typeorm';
import { formatBytes } from '../../common/format.js';
import { hydrate } from '../../common/hydrate.js';
import { say } from '../../common/language.js';
import { type ByteSource, prependSource, readableSource, readFully, sourceReadable } from './byte-source.js';
import type { StorageDriver } from './drivers/storage-driver.js';
import { FetchRefusedError, GuardedFetcher } from './guarded-fetcher.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus, StorageDriverName } from './media-file.entity.js';
import { detectMediaType, type DetectedType, mimeAllowed, onlyTheseTypes, SNIFF_BYTES } from './media-type.js';
import { type EffectiveStorageSettings, StorageSettingsService } from './storage-settings.service.js';
import { extractFrame, probeVideo, toolPath, UnreadableVideoError, VideoToolMissingError } from './video/ffmpeg.js';
import { TemporaryCopy, withLocalCopy } from './video/local-copy.js';

export const THUMBNAIL_SIDE = 512;
/**
 * An image that already fits the thumbnail box and is at most this large serves as its own
 * thumbnail: a re-encoded copy would be as large to download and cost ~10 ms of CPU to make.
 */
const OWN_THUMBNAIL_BYTES = 256 * 1024;
/** Images up to this size (by their Content-Length) are read whole and decoded from memory. */
const IN_MEMORY_IMAGE_BYTES = 16 * 1024 * 1024;
/** A video's poster is the frame at this second (or half way through a shorter video). */
const POSTER_AT_SECONDS = 1;
/** Where a video's poster frame is taken: at 1 s, or half way through a shorter video. */
const posterTime = (durationSeconds: number | null) => (durationSeconds === null ? 0 : Math.min(POSTER_AT_SECONDS, durationSeconds / 2));

export interface IngestRequest {
  userId: string;
  source: MediaSource;
  sourceTaskId?: string | null;
  originalFilename?: string | null;
  metadata?: Record<string, unknown>;
}

/** Narrower limits a caller may ask for (e.g. 10 MB images for an input upload). */
export interface IngestLimits {
  maxBytes?: number;
  allowedTypes?: readonly string[];
  /**
   * A video's poster frame is made after the answer (ffmpeg runs only for metadata on a request's
   * path); its record gets `posterUrl` a moment later.
   */
  posterLater?: boolean;
}

/**
 * An image's or a video's size and its thumbnail; `thumbnail` null: the image is its own. A
 * video's thumbnail is its poster frame (a JPEG within 512 px).
 */
interface AnalysedImage {
  width: number;
  height: number;
  thumbnail: { data: Buffer; ext: string; contentType: string } | null;
  /** Upright and inside the thumbnail box: its own thumbnail if it is small enough in bytes. */
  fitsThumbnail: boolean;
  /** Videos: seconds, when the container says. */
  duration?: number | null;
  /** Videos: the thumbnail is the poster frame. */
  poster?: boolean;
}

/** What ends up in storage for one file. */
interface StoredObject {
  driver: StorageDriverName;
  key: string;
  url: string;
  thumbnailKey: string | null;
  thumbnailUrl: string | null;
  posterKey: string | null;
  posterUrl: string | null;
  type: DetectedType;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  duration: number | null;
}

/**
 * Counts and hashes the bytes read through it, refusing more than `maxBytes`. It reads straight
 * into the reader's buffers (see ByteSource), so metering costs no copy.
 */
class Meter implements ByteSource {
  readonly hash = createHash('sha256');
  bytes = 0;
  /** The first failure: the source's, the limit, or what the reader destroyed it with. */
  errored: Error | null = null;

  constructor(
    private readonly source: ByteSource,
    readonly maxBytes: number,
  ) {}

  async read(target: Uint8Array): Promise<number> {
    let length: number;
    try {
      length = await this.source.read(target);
    } catch (error) {
      this.errored ??= error as Error;
      throw error;
    }
    this.bytes += length;
    if (this.bytes > this.maxBytes) {
      const error = new PayloadTooLargeException(say(`The file is larger than the limit of ${formatBytes(this.maxBytes)}`, `文件超过了 ${formatBytes(this.maxBytes)} 的上限`));
      this.destroy(error);
      throw error;
    }
    this.hash.update(target.subarray(0, length));
    return length;
  }

  destroy(error?: Error): void {
    if (error) this.errored ??= error;
    this.source.destroy(error);
  }
}

/**
 * The one way files enter storage: from an upload stream or from a URL (through the guarded
 * fetcher). Bytes stream from the source into the driver; the type comes from the magic bytes;
 * identical bytes are kept once per driver; images get a thumbnail beside them, videos a poster frame
 * (with their duration and size, read by ffprobe from the stored copy).
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: StorageSettingsService,
    private readonly fetcher: GuardedFetcher,
  ) {}

  /** Says at start-up, not at the first video, that ffmpeg or ffprobe cannot be run (video uploads then answer 503). */
  onApplicationBootstrap(): void {
    for (const tool of ['ffprobe', 'ffmpeg'] as const) {
      try {
        toolPath(tool);
      } catch (error) {
        this.logger.warn(`Videos cannot be stored until this is fixed: ${(error as Error).message}`);
      }
    }
  }

  /** Stores an uploaded stream and records it. */
  async ingestStream(body: Readable, request: IngestRequest, limits: IngestLimits = {}): Promise<MediaFile> {
    const settings = await this.settings.effective();
    return this.writeObject(readableSource(body), settings, { ...limits, posterLater: true }, (manager, stored) =>
      manager.save(
        manager.create(MediaFile, {
          userId: request.userId,
          filename: this.filenameFor(stored),
          originalFilename: request.originalFilename?.slice(0, 255) ?? null,
          source: request.source,
          sourceTaskId: request.sourceTaskId ?? null,
          metadata: request.metadata ?? {},
          ...this.recordFields(stored),
        }),
      ),
    );
  }

  /**
   * Copies a file from a URL a user or a provider gave us. The record is created first (pending)
   * so a failure is kept with its reason; with auto-upload off it stays pending for the migration tool.
   */
  async ingestUrl(url: string, request: IngestRequest, limits: IngestLimits = {}): Promise<MediaFile> {
    const settings = await this.settings.effective();
    const record = await this.recordUrl(url, request);
    if (!settings.autoUpload) return record;
    await this.copyIntoStorage(record, settings, limits);
    return record;
  }

  /**
   * Copies in a file a request names by URL (an input image): now, whatever auto-upload says (that
   * is for providers' results; an input must be ours before it is used). When the copy is refused
   * or fails, nothing is left behind: the request that named it fails with the reason.
   */
  async ingestInput(url: string, request: IngestRequest, limits: IngestLimits = {}): Promise<MediaFile> {
    const record = await this.recordUrl(url, request);
    try {
      await this.copyIntoStorage(record, undefined, limits);
    } catch (error) {
      await this.dataSource.getRepository(MediaFile).delete({ id: record.id });
      throw error;
    }
    return record;
  }

  private recordUrl(url: string, request: IngestRequest): Promise<MediaFile> {
    const repository = this.dataSource.getRepository(MediaFile);
    return repository.save(
      repository.create({
        userId: request.userId,
        filename: request.originalFilename?.slice(0, 255) ?? this.nameFromUrl(url),
        originalFilename: request.originalFilename ?? null,
        source: request.source,
        sourceTaskId: request.sourceTaskId ?? null,
        metadata: request.metadata ?? {},
        sourceUrl: url,
        status: MediaStatus.Pending,
      }),
    );
  }

  /** Downloads `record.sourceUrl` into storage and updates the record: stored, or failed with the reason. */
  async copyIntoStorage(record: MediaFile, settings?: EffectiveStorageSettings, limits: IngestLimits = {}): Promise<void> {
    const current = settings ?? (await this.settings.effective());
    try {
      if (!record.sourceUrl) throw new Error('The file has no source URL to copy from');
      const response = await this.fetcher.fetch(record.sourceUrl, {
        maxBytes: Math.min(limits.maxBytes ?? Infinity, current.maxFileSize),
        allowedTypes: limits.allowedTypes ?? current.allowedTypes,
        timeoutMs: 10 * 60_000,
        connectTimeoutMs: 15_000,
      });
      await this.writeObject(
        response.source,
        current,
        limits,
        async (transaction, stored) => {
          const fields = { ...this.recordFields(stored), filename: this.filenameFor(stored), sourceUrl: null, error: null };
          await transaction.update(MediaFile, { id: record.id }, fields as QueryDeepPartialEntity<MediaFile>);
          return Object.assign(record, fields);
        },
        response.contentLength,
      );
    } catch (error) {
      record.status = MediaStatus.Failed;
      record.error = error instanceof FetchRefusedError ? `Download refused: ${error.message}` : (error as Error).message;
      await this.dataSource.manager.save(MediaFile, record);
      throw error;
    }
  }

  /**
   * Stores bytes made here (a picture cut from a task's output) into a record already made for
   * them, like copyIntoStorage does for a download.
   */
  async storeBytes(record: MediaFile, bytes: Buffer, settings?: EffectiveStorageSettings): Promise<void> {
    const current = settings ?? (await this.settings.effective());
    await this.writeObject(
      readableSource(Readable.from([bytes])),
      current,
      {},
      async (transaction, stored) => {
        const fields = { ...this.recordFields(stored), filename: this.filenameFor(stored), sourceUrl: null, error: null };
        await transaction.update(MediaFile, { id: record.id }, fields as QueryDeepPartialEntity<MediaFile>);
        return Object.assign(record, fields);
      },
      bytes.length,
    );
  }

  private recordFields(stored: StoredObject): Partial<MediaFile> {
    return {
      kind: stored.type.kind,
      mimeType: stored.type.mime,
      size: stored.size,
      sha256: stored.sha256,
      width: stored.width,
      height: stored.height,
      duration: stored.duration,
      driver: stored.driver,
      key: stored.key,
      url: stored.url,
      thumbnailKey: stored.thumbnailKey,
      thumbnailUrl: stored.thumbnailUrl,
      posterKey: stored.posterKey,
      posterUrl: stored.posterUrl,
      status: MediaStatus.Stored,
      error: null,
    };
  }

  private filenameFor(stored: StoredObject): string {
    return stored.key.split('/').pop() ?? stored.key;
  }

  private nameFromUrl(url: string): string {
    try {
      return decodeURIComponent(new URL(url).pathname.split('/').pop() || 'file').slice(0, 255);
    } catch {
      return 'file';
    }
  }

  private keyFor(settings: EffectiveStorageSettings, folder: string, ext: string): string {
    const now = new Date();
    const month = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    // Random, so keys cannot be guessed from anything a user knows.
    return `${settings.basePath}${folder}${month}/${randomBytes(16).toString('hex')}.${ext}`;
  }

  private async writeObject(
    body: ByteSource,
    settings: EffectiveStorageSettings,
    limits: IngestLimits,
    persist: (manager: EntityManager, stored: StoredObject) => Promise<MediaFile>,
    declaredLength: number | null = null,
  ): Promise<MediaFile> {
    let head: Buffer;
    try {
      const sniff = Buffer.alloc(SNIFF_BYTES);
      head = sniff.subarray(0, await readFully(body, sniff));
    } catch (error) {
      body.destroy();
      throw error;
    }
    const type = detectMediaType(head);
    const allowed = limits.allowedTypes ?? settings.allowedTypes;
    // Unrecognised bytes (a text file named .png) and a type not taken here get the same answer.
    if (!type || !mimeAllowed(type.mime, allowed) || !mimeAllowed(type.mime, settings.allowedTypes)) {
      body.destroy();
      throw new UnsupportedMediaTypeException(onlyTheseTypes(allowed, settings.allowedTypes));
    }

    const driver = await this.settings.activeDriver(settings);
    const driverName = driver.name === 'cos' ? StorageDriverName.Cos : StorageDriverName.Local;
    const folder = type.kind === MediaKind.Image ? settings.imagePath : settings.videoPath;
    const key = this.keyFor(settings, folder, type.ext);
    const meter = new Meter(prependSource(head, body), Math.min(limits.maxBytes ?? Infinity, settings.maxFileSize));

    if (type.kind === MediaKind.Image && declaredLength !== null && declaredLength <= Math.min(IN_MEMORY_IMAGE_BYTES, meter.maxBytes)) {
      return this.writeImageInMemory(meter, declaredLength, driver, driverName, key, type, persist);
    }

    // Videos (the large files) go to the driver as a byte source, read into its own buffers.
    // Images of unknown or large size are also decoded (for size and thumbnail) while they stream
    // to storage, so they flow as a stream with a branch to the decoder and one to the driver.
    let upload: Readable | ByteSource = meter;
    let analysis: Promise<AnalysedImage | null> = Promise.resolve(null);
    if (type.kind === MediaKind.Image) {
      const stream = sourceReadable(meter);
      // Errors travel downstream explicitly; the listeners keep them from surfacing as unhandled events.
      stream.on('error', () => undefined);
      analysis = this.analyseImageStream(stream);
      const branch = new PassThrough();
      branch.on('error', () => undefined);
      stream.pipe(branch);
      stream.on('error', (error) => branch.destroy(error));
      upload = branch;
    }
    analysis.catch(() => undefined);
    // A video bound for a driver without local files (COS) is also written to a temporary file on
    // its way, for ffprobe and ffmpeg to read (no second download).
    let copy: TemporaryCopy | null = null;
    let image: AnalysedImage | null;
    try {
      if (type.kind === MediaKind.Video && !driver.localPath) {
        copy = await TemporaryCopy.create(`video.${type.ext}`).catch((error: Error) => {
          meter.destroy(error);
          throw error;
        });
        upload = copy.tee(meter);
      }
      try {
        await driver.put(key, upload, { contentType: type.mime });
      } catch (error) {
        await driver.delete(key).catch(() => undefined);
        throw meter.errored ?? error;
      }
      if (meter.errored) {
        await driver.delete(key).catch(() => undefined);
        throw meter.errored;
      }
      await copy?.close();
      try {
        image = type.kind === MediaKind.Video ? await this.analyseVideo(driver, key, copy?.path, !limits.posterLater) : await analysis;
      } catch (error) {
        await driver.delete(key).catch(() => undefined);
        throw this.analysisFailure(type, error as Error);
      }
    } finally {
      await copy?.remove();
    }
    // Its size is known now: a small image streamed in is its own thumbnail too.
    if (image?.fitsThumbnail && meter.bytes <= OWN_THUMBNAIL_BYTES) image = { ...image, thumbnail: null };
    const sha256 = meter.hash.digest('hex');
    const file = await this.deduplicate(driver, driverName, { key, type, size: meter.bytes, sha256 }, image, persist);
    if (type.kind === MediaKind.Video && !file.posterKey && file.key) this.makePosterLater(driver, driverName, file.key);
    return file;
  }

  /**
   * Makes the poster of a stored video after the request that brought it was answered, and gives
   * it to every record of that object (identical bytes share one). Failures are logged, never
   * thrown: the video stays usable without a poster. A poster whose video was deleted meanwhile
   * is deleted too.
   */
  private makePosterLater(driver: StorageDriver, driverName: StorageDriverName, key: string): void {
    const work = async () => {
      const poster = await withLocalCopy(driver, key, async (path) => {
        const probe = await probeVideo(path);
        return extractFrame(path, { at: posterTime(probe.durationSeconds), maxSide: THUMBNAIL_SIDE });
      });
      const posterKey = key.replace(/\.[a-z0-9]+$/, '.poster.jpg');
      await driver.put(posterKey, poster, { contentType: 'image/jpeg', size: poster.length });
      const posterUrl = driver.url(posterKey);
      // TypeORM answers an UPDATE with [rows, count].
      const [, updated] = (await this.dataSource.query(
        `UPDATE media_files SET thumbnail_key = $3, thumbnail_url = $4, poster_key = $3, poster_url = $4
         WHERE driver = $1 AND key = $2 AND status = 'stored' AND poster_key IS NULL`,
        [driverName, key, posterKey, posterUrl],
      )) as [unknown[], number];
      if (updated === 0) {
        const [{ users }] = await this.dataSource.query(`SELECT count(*)::int AS users FROM media_files WHERE driver = $1 AND poster_key = $2`, [driverName, posterKey]);
        if (users === 0) await driver.delete(posterKey);
      }
    };
    work().catch((error: Error) => this.logger.warn(`No poster for ${key}: ${error.message}`));
  }

  /**
   * A stored video's duration, displayed size and poster frame, read by ffprobe and ffmpeg from our
   * own copy (never a URL). The poster is the frame at 1 s (half way through a shorter video),
   * a JPEG within 512 px, and serves as the thumbnail. Runs once per ingest, with time limits.
   */
  private async analyseVideo(driver: StorageDriver, key: string, copyPath: string | undefined, withPoster: boolean): Promise<AnalysedImage> {
    const analyse = async (path: string): Promise<AnalysedImage> => {
      const probe = await probeVideo(path);
      const poster = withPoster ? await extractFrame(path, { at: posterTime(probe.durationSeconds), maxSide: THUMBNAIL_SIDE }) : null;
      return {
        width: probe.width,
        height: probe.height,
        duration: probe.durationSeconds,
        thumbnail: poster && { data: poster, ext: 'jpg', contentType: 'image/jpeg' },
        fitsThumbnail: false,
        poster: true,
      };
    };
    return copyPath ? analyse(copyPath) : withLocalCopy(driver, key, analyse);
  }

  /** Why a stored file could not be analysed, as the answer to the upload (or the task's storage error). */
  private analysisFailure(type: DetectedType, error: Error): Error {
    const reason = error.message;
    if (error instanceof VideoToolMissingError) {
      this.logger.error(`Video tools unavailable: ${reason}`);
      return new ServiceUnavailableException(say(`Videos cannot be processed on this server: ${reason}`, `服务器暂时无法处理视频（${reason}）`));
    }
    if (type.kind === MediaKind.Video) {
      if (!(error instanceof UnreadableVideoError)) this.logger.warn(`Video analysis failed: ${reason}`);
      return new UnsupportedMediaTypeException(say(`The video could not be read: ${reason}`, `视频无法读取，文件可能已损坏（${reason}）`));
    }
    return new UnsupportedMediaTypeException(say(`The image could not be decoded: ${reason}`, `图片无法解码，文件可能已损坏（${reason}）`));
  }

  /**
   * A small image (most provider outputs): read whole, decoded once from memory, and written with
   * its thumbnail (if it needs one) side by side; no stream plumbing, no per-file buffers.
   */
  private async writeImageInMemory(
    meter: Meter,
    declaredLength: number,
    driver: StorageDriver,
    driverName: StorageDriverName,
    key: string,
    type: DetectedType,
    persist: (manager: EntityManager, stored: StoredObject) => Promise<MediaFile>,
  ): Promise<MediaFile> {
    // One byte more than declared tells a body longer than its Content-Length (the meter still caps it).
    const bytes = Buffer.allocUnsafe(declaredLength + 1);
    const length = await readFully(meter, bytes);
    if (meter.errored) throw meter.errored;
    if (length > declaredLength) {
      meter.destroy();
      throw new UnsupportedMediaTypeException(say('The server sent more bytes than it announced', '服务器发送的字节数多于它声明的长度'));
    }
    const data = bytes.subarray(0, length);
    let image: AnalysedImage;
    try {
      image = await this.analyseImage(sharp(data, { failOn: 'none', limitInputPixels: 268_402_689 }), data.length);
    } catch (error) {
      throw new UnsupportedMediaTypeException(say(`The image could not be decoded: ${(error as Error).message}`, `图片无法解码，文件可能已损坏（${(error as Error).message}）`));
    }
    await driver.put(key, data, { contentType: type.mime });
    const sha256 = meter.hash.digest('hex');
    return this.deduplicate(driver, driverName, { key, type, size: length, sha256 }, image, persist);
  }

  /**
   * Size and thumbnail. The thumbnail is a JPEG (WebP when the image has transparency), or none
   * when the image is small enough to be its own.
   */
  private async analyseImage(decoder: Sharp, size: number | null): Promise<AnalysedImage> {
    const meta = await decoder.metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    const fitsThumbnail = (!meta.orientation || meta.orientation === 1) && meta.width <= THUMBNAIL_SIDE && meta.height <= THUMBNAIL_SIDE;
    if (size !== null && size <= OWN_THUMBNAIL_BYTES && fitsThumbnail) return { width: meta.width, height: meta.height, thumbnail: null, fitsThumbnail };
    const resized = decoder.clone().rotate().resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true });
    const thumbnail = meta.hasAlpha
      ? { data: await resized.webp({ quality: 80, effort: 2 }).toBuffer(), ext: 'webp', contentType: 'image/webp' }
      : { data: await resized.jpeg({ quality: 80 }).toBuffer(), ext: 'jpg', contentType: 'image/jpeg' };
    return { width: meta.width, height: meta.height, thumbnail, fitsThumbnail };
  }

  private async analyseImageStream(source: Readable): Promise<AnalysedImage> {
    const decoder = sharp({ failOn: 'none', limitInputPixels: 268_402_689 });
    decoder.on('error', () => undefined);
    source.pipe(decoder);
    source.on('error', (error) => decoder.destroy(error));
    // The size is not known until the stream ends: such images always get a thumbnail.
    return this.analyseImage(decoder, null);
  }

  /**
   * Identical bytes are kept once per driver: if a stored record already holds them, the new
   * object is dropped and the record points at the existing one. Serialised per content hash with
   * the deletion path (MediaFilesService.release), so an object is never dropped while being reused.
   */
  private async deduplicate(
    driver: StorageDriver,
    driverName: StorageDriverName,
    object: { key: string; type: DetectedType; size: number; sha256: string },
    image: AnalysedImage | null,
    persist: (manager: EntityManager, stored: StoredObject) => Promise<MediaFile>,
  ): Promise<MediaFile> {
    // The record is written inside the locked transaction, so it references the object before anyone can release it.
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`media-object:${driverName}:${object.sha256}`]);
      const [row] = await manager.query(`SELECT * FROM media_files WHERE driver = $1 AND sha256 = $2 AND status = 'stored' ORDER BY created_at LIMIT 1`, [
        driverName,
        object.sha256,
      ]);
      const existing = row ? hydrate(this.dataSource, MediaFile, row) : null;
      if (existing?.key && existing.key !== object.key) {
        await driver.delete(object.key).catch((error) => this.logger.warn(`Could not drop duplicate ${object.key}: ${error}`));
        return persist(manager, {
          driver: driverName,
          key: existing.key,
          url: existing.url ?? driver.url(existing.key),
          thumbnailKey: existing.thumbnailKey,
          thumbnailUrl: existing.thumbnailUrl,
          posterKey: existing.posterKey,
          posterUrl: existing.posterUrl,
          type: object.type,
          size: object.size,
          sha256: object.sha256,
          width: existing.width ?? image?.width ?? null,
          height: existing.height ?? image?.height ?? null,
          duration: existing.duration ?? image?.duration ?? null,
        });
      }
      let thumbnailKey: string | null = null;
      if (image) {
        const thumbnail = image.thumbnail;
        const suffix = image.poster ? 'poster' : 'thumb';
        // An image small enough is its own thumbnail; a video without its poster yet has none.
        thumbnailKey = thumbnail ? object.key.replace(/\.[a-z0-9]+$/, `.${suffix}.${thumbnail.ext}`) : image.poster ? null : object.key;
        if (thumbnail && thumbnailKey) await driver.put(thumbnailKey, thumbnail.data, { contentType: thumbnail.contentType, size: thumbnail.data.length });
      }
      return persist(manager, {
        driver: driverName,
        key: object.key,
        url: driver.url(object.key),
        thumbnailKey,
        thumbnailUrl: thumbnailKey ? driver.url(thumbnailKey) : null,
        posterKey: image?.poster ? thumbnailKey : null,
        posterUrl: image?.poster && thumbnailKey ? driver.url(thumbnailKey) : null,
        type: object.type,
        size: object.size,
        sha256: object.sha256,
        width: image?.width ?? null,
        height: image?.height ?? null,
        duration: image?.duration ?? null,
      });
    });
  }
}
