import { ApiKey } from '../modules/auth-sms/api-key.entity.js';
import { SmsSend } from '../modules/auth-sms/sms-send.entity.js';
import { SmsSettings } from '../modules/auth-sms/sms-settings.entity.js';
import { User } from '../modules/auth-sms/user.entity.js';
import { VerificationCode } from '../modules/auth-sms/verification-code.entity.js';
import { CreditAccount } from '../modules/credits/credit-account.entity.js';
import { CreditLedgerEntry } from '../modules/credits/credit-ledger-entry.entity.js';
import { CreditSettings } from '../modules/credits/credit-settings.entity.js';
import { RateLimitBucket } from '../modules/rate-limit/rate-limit-bucket.entity.js';
import { MediaFile } from '../modules/storage/media-file.entity.js';
import { FileMigrationJob } from '../modules/storage/migration-job.entity.js';
import { FluxSettings } from '../modules/flux/flux-settings.entity.js';
import { KlingSettings } from '../modules/kling/kling-settings.entity.js';
import { JimengSettings } from '../modules/jimeng/jimeng-settings.entity.js';
import { MidjourneySettings } from '../modules/midjourney/midjourney-settings.entity.js';
import { GenerationTask } from '../modules/scheduler/generation-task.entity.js';
import { ModelPrice } from '../modules/scheduler/model-price.entity.js';
import { StorageSettings } from '../modules/storage/storage-settings.entity.js';

/** Every entity of the schema; migrations must describe exactly these. */
export const entities = [User, ApiKey, RateLimitBucket, SmsSettings, VerificationCode, SmsSend, StorageSettings, MediaFile, FileMigrationJob, CreditAccount, CreditLedgerEntry, CreditSettings, GenerationTask, ModelPrice, FluxSettings, MidjourneySettings, KlingSettings, JimengSettings];
