import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { loadConfig } from '../../config/app-config.js';
import { jwtModuleOptions } from './jwt-options.js';

describe('jwtModuleOptions', () => {
  it('signs and verifies without JwtService deprecation warnings', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const config = loadConfig({ APP_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/atelier-jwt-options-spec' });
      const jwt = new JwtService(jwtModuleOptions(config));
      const token = await jwt.signAsync({ sub: 'someone' });
      await expect(jwt.verifyAsync(token)).resolves.toMatchObject({ sub: 'someone', iss: 'atelier' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
