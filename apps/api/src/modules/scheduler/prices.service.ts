import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { RecentlyRead } from '../../common/recently-read.js';
import type { ModelPriceDto, PriceChangeDto, PriceTableDto } from './dto/task.dto.js';
import { ModelPrice } from './model-price.entity.js';
import { ProviderRegistry } from './provider-registry.js';

/** How long one instance keeps a provider's prices; a change made on another instance shows within it. */
const PRICE_CACHE_MS = 2000;

/** Credits per task for every model of every registered provider: the catalogue's default unless an admin set one. */
@Injectable()
export class PricesService {
  private readonly recent = new RecentlyRead<string, Map<string, number>>(PRICE_CACHE_MS, (provider) => this.readPrices(provider));

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
  ) {}

  async table(): Promise<PriceTableDto> {
    const custom = await this.dataSource.getRepository(ModelPrice).find();
    const byKey = new Map(custom.map((row) => [`${row.provider}/${row.model}`, row.price]));
    const prices: ModelPriceDto[] = [];
    for (const adapter of this.registry.all()) {
      for (const model of adapter.models()) {
        const price = byKey.get(`${adapter.provider}/${model.model}`);
        prices.push({
          provider: adapter.provider,
          providerName: adapter.displayName,
          model: model.model,
          name: model.priceUnit ? `${model.name.en} (${model.priceUnit.en})` : model.name.en,
          nameZhCN: model.priceUnit ? `${model.name.zhCN}（${model.priceUnit.zhCN}）` : model.name.zhCN,
          kind: model.kind,
          price: price ?? model.defaultPrice,
          defaultPrice: model.defaultPrice,
          custom: price !== undefined,
        });
      }
    }
    return { prices };
  }

  /** Applies every change or none; a null price returns the model to its default. */
  async save(changes: PriceChangeDto[]): Promise<PriceTableDto> {
    changes.forEach((change, index) => {
      const adapter = this.registry.find(change.provider);
      if (!adapter) throw fieldError(`prices.${index}.provider`, `Unknown provider "${change.provider}" (known: ${this.registry.names().join(', ') || 'none'})`);
      if (!adapter.models().some((model) => model.model === change.model)) {
        throw fieldError(`prices.${index}.model`, `${adapter.displayName} has no model "${change.model}"`);
      }
    });
    await this.dataSource.transaction(async (manager) => {
      for (const change of changes) {
        if (change.price === null || change.price === undefined) await manager.delete(ModelPrice, { provider: change.provider, model: change.model });
        else await manager.upsert(ModelPrice, { provider: change.provider, model: change.model, price: change.price }, ['provider', 'model']);
      }
    });
    this.recent.clear();
    return this.table();
  }

  /** Every model's price for one provider, read at most once per PRICE_CACHE_MS (submissions ask for each task). */
  pricesOf(provider: string): Promise<Map<string, number>> {
    return this.recent.get(provider);
  }

  private async readPrices(provider: string): Promise<Map<string, number>> {
    const custom = await this.dataSource.getRepository(ModelPrice).findBy({ provider });
    const prices = new Map(this.registry.get(provider).models().map((model) => [model.model, model.defaultPrice]));
    for (const row of custom) prices.set(row.model, row.price);
    return prices;
  }

  async priceFor(provider: string, model: string): Promise<number> {
    const price = (await this.pricesOf(provider)).get(model);
    if (price === undefined) throw fieldError('model', `Unknown model "${model}"`);
    return price;
  }
}
