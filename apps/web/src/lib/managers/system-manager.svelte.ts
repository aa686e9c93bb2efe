import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';

export type SystemInfo = Schemas['SystemInfoDto'];

/** Public facts about the server, such as whether the provider sandbox is on. */
class SystemManager {
  info = $state<SystemInfo | null>(null);

  get sandbox(): boolean {
    return this.info?.sandbox.enabled ?? false;
  }

  async load(): Promise<void> {
    try {
      const { data } = await api.GET('/api/v1/system/info');
      if (data) this.info = data;
    } catch {
      // Not fatal: the badge simply stays hidden until the server answers.
    }
  }
}

export const systemManager = new SystemManager();
