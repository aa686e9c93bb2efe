import type { Language } from '../../common/language.js';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../auth-sms/user.entity.js';
import { MediaKind } from '../storage/media-file.entity.js';

export enum TaskStatus {
  Pending = 'pending',
  Submitted = 'submitted',
  Queued = 'queued',
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Canceled = 'canceled',
}

/** Why a task failed, for clients to say in their own language (`error` keeps the provider's words). */
export enum TaskErrorCode {
  /** The provider refused the request for what was asked (a value, the prompt). */
  Rejected = 'rejected',
  /** The provider refused for its own reasons (key, balance, account). */
  Refused = 'refused',
  /** The provider's safety checker flagged the prompt or the result. */
  ContentFlagged = 'content_flagged',
  /** The provider reported that the generation failed. */
  Failed = 'failed',
  /** The provider finished without any result. */
  NoOutput = 'no_output',
  /** The provider could not take the task before its deadline. */
  NotStarted = 'not_started',
  /** The provider did not finish before the deadline. */
  TimedOut = 'timed_out',
  /** The results could not be copied into our storage before the deadline. */
  Storage = 'storage',
}

export const ACTIVE_STATUSES: readonly TaskStatus[] = [TaskStatus.Pending, TaskStatus.Submitted, TaskStatus.Queued, TaskStatus.Running];
export const TERMINAL_STATUSES: readonly TaskStatus[] = [TaskStatus.Succeeded, TaskStatus.Failed, TaskStatus.Canceled];
const ACTIVE_SQL = `"status" IN ('pending', 'submitted', 'queued', 'running')`;

/**
 * One generation at one provider, from the reservation of its price to its stored outputs. Rows
 * change through compare-and-set updates in TasksService and TaskEngine only.
 */
@Entity('generation_tasks')
@Index('IDX_generation_tasks_user_created', ['userId', 'createdAt', 'id'])
@Index('IDX_generation_tasks_due', ['nextPollAt'], { where: ACTIVE_SQL })
@Index('IDX_generation_tasks_deadline', ['deadlineAt'], { where: ACTIVE_SQL })
@Index('IDX_generation_tasks_provider_active', ['provider', 'status'], { where: ACTIVE_SQL })
@Index('IDX_generation_tasks_parent', ['parentTaskId'], { where: `"parent_task_id" IS NOT NULL` })
export class GenerationTask {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_generation_tasks_user_id' })
  user?: User;

  /** The provider module that runs it: flux, midjourney, kling, jimeng. */
  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 120 })
  model: string;

  @Column({ type: 'enum', enum: MediaKind, enumName: 'media_kind' })
  kind: MediaKind;

  /** What was asked of the model: text-to-image, image-to-image, upscale, ... */
  @Column({ type: 'varchar', length: 40 })
  action: string;

  @Column({ type: 'enum', enum: TaskStatus, enumName: 'task_status', default: TaskStatus.Pending })
  status: TaskStatus;

  /** 0 to 100. */
  @Column({ type: 'smallint', default: 0 })
  progress: number;

  /** Place in the provider's queue, when it says. */
  @Column({ name: 'queue_position', type: 'integer', nullable: true })
  queuePosition: number | null;

  @Column({ type: 'text', nullable: true })
  prompt: string | null;

  /** The language of the request that made it: what is said about it later is worded in it. */
  @Column({ type: 'varchar', length: 8, default: 'en' })
  language: Language;

  /**
   * The task this one was made from (an upscale of a grid, ...): families are shown together.
   * Deleting the parent keeps its children.
   */
  @Column({ name: 'parent_task_id', type: 'uuid', nullable: true })
  parentTaskId: string | null;

  @ManyToOne(() => GenerationTask, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_task_id', foreignKeyConstraintName: 'FK_generation_tasks_parent_task_id' })
  parent?: GenerationTask;

  /** A small structured result beside (or instead of) media outputs, e.g. `{ prompts }` of a describe. */
  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  /** The request as validated by the provider module's DTO. */
  @Column({ type: 'jsonb' })
  input: Record<string, unknown>;

  /** The provider's handles (upstream id, URLs, results awaiting storage): never sent to clients. */
  @Column({ name: 'provider_state', type: 'jsonb', default: () => `'{}'` })
  providerState: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'error_code', type: 'enum', enum: TaskErrorCode, enumName: 'task_error_code', nullable: true })
  errorCode: TaskErrorCode | null;

  /** The price reserved at submission; refunds give back exactly this. */
  @Column({ type: 'integer' })
  cost: number;

  @Column({ name: 'next_poll_at', type: 'timestamptz', nullable: true })
  nextPollAt: Date | null;

  @Column({ name: 'deadline_at', type: 'timestamptz' })
  deadlineAt: Date;

  /** Calls made to the provider for this task (submission and polls). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'submitted_at', type: 'timestamptz', nullable: true })
  submittedAt: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Milliseconds, like the JavaScript dates that carry it in page cursors, so no row falls between two pages. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
