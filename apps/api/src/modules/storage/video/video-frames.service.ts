import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { fieldError } from '../../../common/errors.js';
import { say } from '../../../common/language.js';
import { IngestService, type IngestRequest } from '../ingest.service.js';
import { MediaFile, MediaKind, MediaStatus } from '../media-file.entity.js';
import { StorageSettingsService } from '../storage-settings.service.js';
import { extractFrame, UnreadableVideoError } from './ffmpeg.js';
import { withLocalCopy } from './local-copy.js';

/** Which frame: seconds from the start, or the video's last frame. */
export type FrameTime = number | 'last';

/**
 * Frames of stored videos as new stored images, e.g. Kling's "use the last frame as the start
 * frame" of a continuation. Read from our own copy of the video (never a URL), in full size.
 */
@Injectable()
export class VideoFramesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: StorageSettingsService,
    private readonly ingest: IngestService,
  ) {}

  /**
   * Stores the frame at `at` of the user's stored video `fileId` as a new image file of theirs
   * (JPEG, the video's displayed size). 404 for a file that is not theirs; 400 naming `at` for a
   * time outside the video; 422 for a file that is not a stored video or whose frame cannot be decoded.
   * `request` sets the new file's source and task (the video's source by default).
   */
  async storeFrame(userId: string, fileId: string, at: FrameTime, request: Partial<Omit<IngestRequest, 'userId'>> = {}): Promise<MediaFile> {
    const video = await this.dataSource.getRepository(MediaFile).findOneBy({ id: fileId, userId });
    if (!video) throw new NotFoundException(say('File not found', '文件不存在'));
    if (video.kind !== MediaKind.Video || video.status !== MediaStatus.Stored || !video.driver || !video.key) {
      throw new UnprocessableEntityException(say('Frames can only be taken from a stored video', '只能从已存储的视频中截取画面'));
    }
    if (at !== 'last' && (!Number.isFinite(at) || at < 0 || (video.duration !== null && at > video.duration))) {
      const length = video.duration ?? 0;
      throw fieldError('at', say(`at must be between 0 and ${length} seconds (the video's length)`, `at 必须在 0 到 ${length} 秒（视频时长）之间`));
    }
    const driver = await this.settings.driverFor(video.driver);
    let frame: Buffer;
    try {
      frame = await withLocalCopy(driver, video.key, (path) => extractFrame(path, { at }));
    } catch (error) {
      if (!(error instanceof UnreadableVideoError)) throw error;
      throw new UnprocessableEntityException(say(`The frame could not be decoded: ${error.message}`, `无法解码该画面（${error.message}）`));
    }
    const base = (video.originalFilename ?? video.filename).replace(/\.[^.]*$/, '');
    return this.ingest.ingestStream(Readable.from([frame]), {
      userId,
      source: request.source ?? video.source,
      sourceTaskId: request.sourceTaskId ?? null,
      originalFilename: request.originalFilename ?? `${base}-${at === 'last' ? 'last' : `${at}s`}.jpg`,
      metadata: { ...request.metadata, frameOf: video.id, frameAt: at },
    });
  }
}
