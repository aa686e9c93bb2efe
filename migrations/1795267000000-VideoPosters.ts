import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Videos keep a poster frame (a JPEG made by ffmpeg when stored), as images keep a thumbnail. */
export class VideoPosters1795267000000 implements MigrationInterface {
  name = 'VideoPosters1795267000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "media_files" ADD "poster_key" character varying(500)`);
    await queryRunner.query(`ALTER TABLE "media_files" ADD "poster_url" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "media_files" DROP COLUMN "poster_url"`);
    await queryRunner.query(`ALTER TABLE "media_files" DROP COLUMN "poster_key"`);
  }
}
