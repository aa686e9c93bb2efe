import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GenerationTask } from './generation-task.entity.js';
import { ModelPrice } from './model-price.entity.js';
import { PricesService } from './prices.service.js';
import { ProviderRegistry } from './provider-registry.js';
import { TaskEngine } from './task-engine.service.js';
import { TaskEventsService } from './task-events.service.js';
import { TaskPreviews } from './task-previews.service.js';
import { TaskTransitions } from './task-transitions.service.js';
import { TaskViews } from './task-views.service.js';
import { PricesController, TasksController, WebhooksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';

/**
 * The task engine: generation tasks, submission with reserved credits, leased polling shared by
 * every instance, deadlines, webhooks, cancellation, prices and live task events. Provider
 * modules register a ProviderAdapter with the ProviderRegistry and submit through TasksService.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([GenerationTask, ModelPrice])],
  controllers: [TasksController, WebhooksController, PricesController],
  providers: [ProviderRegistry, PricesService, TaskViews, TaskTransitions, TaskEngine, TasksService, TaskEventsService, TaskPreviews],
  exports: [ProviderRegistry, PricesService, TaskViews, TasksService, TaskEngine],
})
export class SchedulerModule {}
