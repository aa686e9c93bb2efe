import { Injectable, NotFoundException } from '@nestjs/common';
import type { ProviderAdapter, ProviderModel } from './provider-adapter.js';

/** The adapters of the provider modules present in this build; each registers itself on start. */
@Injectable()
export class ProviderRegistry {
  private readonly adapters = new Map<string, ProviderAdapter>();
  /** Each provider's catalogue by model id, read once: every task shown looks its model's name up here. */
  private readonly catalogues = new Map<string, Map<string, ProviderModel>>();

  register(adapter: ProviderAdapter): void {
    if (this.adapters.has(adapter.provider)) throw new Error(`Provider ${adapter.provider} is registered twice`);
    this.adapters.set(adapter.provider, adapter);
  }

  find(provider: string): ProviderAdapter | undefined {
    return this.adapters.get(provider);
  }

  get(provider: string): ProviderAdapter {
    const adapter = this.adapters.get(provider);
    if (!adapter) throw new NotFoundException(`Unknown provider: ${provider}`);
    return adapter;
  }

  all(): ProviderAdapter[] {
    return [...this.adapters.values()];
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }

  /** A model's display names, or null for one no registered provider lists (e.g. a retired model). */
  modelName(provider: string, model: string): ProviderModel['name'] | null {
    const adapter = this.adapters.get(provider);
    if (!adapter) return null;
    let catalogue = this.catalogues.get(provider);
    if (!catalogue) this.catalogues.set(provider, (catalogue = new Map(adapter.models().map((entry) => [entry.model, entry]))));
    return catalogue.get(model)?.name ?? null;
  }
}
