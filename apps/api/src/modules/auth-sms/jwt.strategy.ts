import { createSecretKey } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectRepository } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import passportJwt from 'passport-jwt';
import { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { deriveSecret } from '../../common/app-secret.js';
import { AccountDisabledException } from '../../common/errors.js';
import { hydrate } from '../../common/hydrate.js';
import { say } from '../../common/language.js';
import { columnList, PreparedStatement } from '../../database/prepared-statement.js';
import type { AuthContext, JwtPayload } from './auth.types.js';
import { User, UserStatus } from './user.entity.js';

export const JWT_ISSUER = 'atelier';
const USER_BY_ID = new PreparedStatement('user-by-id', (dataSource) => `SELECT ${columnList(dataSource, User)} FROM users WHERE id = $1`);

@Injectable()
export class JwtStrategy extends PassportStrategy(passportJwt.Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {
    super({
      jwtFromRequest: passportJwt.ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A key object (the types predate them): the JWT library would otherwise try it as a public key first on every call.
      secretOrKey: createSecretKey(deriveSecret(config.appSecret, 'jwt')) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      ignoreExpiration: false,
    });
  }

  /** Loads the user on every request, so disabling an account takes effect at once. */
  async validate(payload: JwtPayload): Promise<AuthContext> {
    // Prepared: this runs for every authenticated request, and building it through the query
    // builder cost several times the query itself.
    const dataSource = this.users.manager.connection;
    const [row] = isUUID(payload.sub) ? await USER_BY_ID.rows(dataSource, [payload.sub]) : [];
    const user = row ? hydrate(dataSource, User, row) : null;
    if (!user) throw new UnauthorizedException(say('This account no longer exists', '该账户已不存在'));
    if (user.status !== UserStatus.Active) throw new AccountDisabledException(say('This account is disabled', '该账户已被停用'));
    // A password change (or disabling) moved the epoch on: tokens issued before are sessions that ended.
    if ((payload.ep ?? 0) !== user.sessionEpoch) {
      throw new UnauthorizedException(say('This session has ended (the password was changed): sign in again', '登录已失效（密码已更改），请重新登录'));
    }
    return { user, via: 'jwt' };
  }
}
