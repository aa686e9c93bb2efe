import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import type { BindEmailDto, BindingStatusDto, BindPhoneDto } from './dto/sms.dto.js';
import { mapUser, type UserDto } from './dto/user.dto.js';
import { PasswordService } from './password.service.js';
import { SmsCodeService } from './sms-code.service.js';
import { User } from './user.entity.js';
import { SmsCodePurpose } from './verification-code.entity.js';

/** Ways to sign in: a phone (SMS code) or an email with a password. */
function canSignInWithEmail(user: Pick<User, 'email' | 'passwordHash'>): boolean {
  return !!user.email && !!user.passwordHash;
}

@Injectable()
export class BindingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly smsCodes: SmsCodeService,
    private readonly passwords: PasswordService,
  ) {}

  status(user: User): BindingStatusDto {
    return {
      phone: user.phone,
      email: user.email,
      hasPassword: user.passwordHash !== null,
      canUnbindPhone: !!user.phone && canSignInWithEmail(user),
      canUnbindEmail: !!user.email && !!user.phone,
    };
  }

  /** Binds a first phone (code purpose `bind`) or replaces the bound one (`change`). */
  async bindPhone(user: User, dto: BindPhoneDto): Promise<UserDto> {
    const purpose = user.phone ? SmsCodePurpose.Change : SmsCodePurpose.Bind;
    return this.dataSource.transaction(async (manager) => {
      const owner = await manager.findOneBy(User, { phone: dto.phone });
      if (owner) {
        throw new ConflictException(
          owner.id === user.id ? say('This phone number is already bound to your account', '该手机号已绑定到你的账户') : say('This phone number is already used by another account', '该手机号已被其他账户使用'),
        );
      }
      await this.smsCodes.check(dto.phone, purpose, dto.code, manager);
      await manager.update(User, { id: user.id }, { phone: dto.phone });
      return mapUser(await manager.findOneByOrFail(User, { id: user.id }));
    });
  }

  /** Binds or changes the email; the password proves who asks, or becomes the password when there is none. */
  async bindEmail(user: User, dto: BindEmailDto): Promise<UserDto> {
    let passwordHash = user.passwordHash;
    if (passwordHash) {
      if (!(await this.passwords.verify(passwordHash, dto.password))) throw fieldError('password', say('password is incorrect', '密码不正确'));
    } else {
      if (dto.password.length < 8) throw fieldError('password', say('password must be between 8 and 128 characters long', '密码长度须为 8 到 128 个字符'));
      passwordHash = await this.passwords.hash(dto.password);
    }
    return this.dataSource.transaction(async (manager) => {
      const owner = await manager.findOneBy(User, { email: dto.email });
      if (owner && owner.id !== user.id) throw new ConflictException(say('An account with this email already exists', '该邮箱已被其他账户使用'));
      await manager.update(User, { id: user.id }, { email: dto.email, passwordHash });
      return mapUser(await manager.findOneByOrFail(User, { id: user.id }));
    });
  }

  async unbindPhone(user: User): Promise<UserDto> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOneOrFail(User, { where: { id: user.id }, lock: { mode: 'pessimistic_write' } });
      if (!current.phone) throw new ConflictException(say('No phone number is bound to this account', '该账户未绑定手机号'));
      if (!canSignInWithEmail(current)) {
        throw new ConflictException(say('Bind an email with a password first: without the phone number this account could not sign in', '请先绑定邮箱并设置密码：解绑手机号后该账户将无法登录'));
      }
      await manager.update(User, { id: user.id }, { phone: null });
      return mapUser(await manager.findOneByOrFail(User, { id: user.id }));
    });
  }

  async unbindEmail(user: User): Promise<UserDto> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOneOrFail(User, { where: { id: user.id }, lock: { mode: 'pessimistic_write' } });
      if (!current.email) throw new ConflictException(say('No email is bound to this account', '该账户未绑定邮箱'));
      if (!current.phone) {
        throw new ConflictException(say('Bind a phone number first: without the email this account could not sign in', '请先绑定手机号：解绑邮箱后该账户将无法登录'));
      }
      await manager.update(User, { id: user.id }, { email: null });
      return mapUser(await manager.findOneByOrFail(User, { id: user.id }));
    });
  }
}
