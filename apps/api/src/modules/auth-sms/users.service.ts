import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { containsPattern } from '../../common/validation.js';
import {
  type AdminSetPasswordDto,
  type AdminUpdateUserDto,
  mapUser,
  type SearchUsersQueryDto,
  type UpdatedMyUserDto,
  type UpdateMyUserDto,
  type UserDto,
  type UserPageDto,
} from './dto/user.dto.js';
import { AuthService } from './auth.service.js';
import { PasswordService } from './password.service.js';
import { endSessions } from './sessions.js';
import { User, UserRole, UserStatus } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly passwords: PasswordService,
    private readonly auth: AuthService,
  ) {}

  getMe(user: User): UserDto {
    return mapUser(user);
  }

  /**
   * A new password ends every other session: tokens issued before stop working, and the caller
   * gets a new token for this one (API keys are not sessions and keep working).
   */
  async updateMe(user: User, dto: UpdateMyUserDto): Promise<UpdatedMyUserDto> {
    const changes: Partial<User> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.newPassword !== undefined) {
      if (user.passwordHash) {
        if (!dto.currentPassword) throw fieldError('currentPassword', say('currentPassword is required to change the password', '修改密码需要填写当前密码'));
        if (!(await this.passwords.verify(user.passwordHash, dto.currentPassword))) {
          throw fieldError('currentPassword', say('currentPassword is incorrect', '当前密码不正确'));
        }
        if (await this.passwords.verify(user.passwordHash, dto.newPassword)) {
          throw fieldError('newPassword', say('newPassword must differ from the current password', '新密码不能与当前密码相同'));
        }
      }
      changes.passwordHash = await this.passwords.hash(dto.newPassword);
      changes.mustChangePassword = false;
    }
    const updated = await this.users.manager.transaction(async (manager) => {
      if (Object.keys(changes).length > 0) await manager.update(User, { id: user.id }, changes);
      if (changes.passwordHash) await endSessions(manager, user.id);
      return manager.findOneByOrFail(User, { id: user.id });
    });
    if (!changes.passwordHash) return mapUser(updated);
    const { token, expiresIn } = await this.auth.issueToken(updated);
    return { ...mapUser(updated), token, expiresIn };
  }

  /**
   * An admin chooses a user's password (a user who forgot theirs and has no phone): every session
   * of that user ends, and the user is asked to choose a new password after signing in.
   */
  async adminSetPassword(id: string, dto: AdminSetPasswordDto): Promise<UserDto> {
    const passwordHash = await this.passwords.hash(dto.newPassword);
    return this.users.manager.transaction(async (manager) => {
      const result = await manager.update(User, { id }, { passwordHash, mustChangePassword: true });
      if (!result.affected) throw new NotFoundException(say('User not found', '用户不存在'));
      await endSessions(manager, id);
      return mapUser(await manager.findOneByOrFail(User, { id }));
    });
  }

  async search(query: SearchUsersQueryDto): Promise<UserPageDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const builder = this.users.createQueryBuilder('user').orderBy('user.created_at', 'ASC').addOrderBy('user.id', 'ASC');
    const search = query.search?.trim();
    if (search) {
      const pattern = containsPattern(search);
      builder.where(
        new Brackets((where) =>
          where
            .where('user.name ILIKE :pattern', { pattern })
            .orWhere('user.email ILIKE :pattern', { pattern })
            .orWhere('user.phone ILIKE :pattern', { pattern }),
        ),
      );
    }
    const [users, total] = await builder.skip((page - 1) * pageSize).take(pageSize).getManyAndCount();
    const balances: Array<{ user_id: string; balance: number }> = await this.users.manager.query(
      `SELECT user_id, balance FROM credit_accounts WHERE user_id = ANY($1)`,
      [users.map((user) => user.id)],
    );
    const balanceOf = new Map(balances.map((row) => [row.user_id, row.balance]));
    return { items: users.map((user) => ({ ...mapUser(user), creditBalance: balanceOf.get(user.id) ?? 0 })), total, page, pageSize };
  }

  async adminUpdate(actor: User, id: string, dto: AdminUpdateUserDto): Promise<UserDto> {
    return this.users.manager.transaction(async (manager) => {
      // Lock the admins so two concurrent demotions cannot both pass the last-admin check.
      const activeAdmins = await manager
        .createQueryBuilder(User, 'user')
        .setLock('pessimistic_write')
        .where('user.role = :role AND user.status = :status', { role: UserRole.Admin, status: UserStatus.Active })
        .getMany();
      const target = await manager.findOneBy(User, { id });
      if (!target) throw new NotFoundException(say('User not found', '用户不存在'));

      const next = { role: dto.role ?? target.role, status: dto.status ?? target.status };
      // An admin cannot lock themselves out by a slip of the hand: another admin has to do it.
      if (target.id === actor.id && next.status === UserStatus.Disabled) {
        throw new ConflictException(say('You cannot disable your own account: ask another admin', '不能停用自己的账户：请让其他管理员操作'));
      }
      if (target.id === actor.id && target.role === UserRole.Admin && next.role !== UserRole.Admin) {
        throw new ConflictException(say('You cannot remove your own admin rights: ask another admin', '不能取消自己的管理员权限：请让其他管理员操作'));
      }
      const staysActiveAdmin = next.role === UserRole.Admin && next.status === UserStatus.Active;
      const isActiveAdmin = activeAdmins.some((admin) => admin.id === target.id);
      if (isActiveAdmin && !staysActiveAdmin && activeAdmins.length <= 1) {
        throw new ConflictException(say('At least one active admin must remain', '至少需要保留一个启用的管理员'));
      }
      await manager.update(User, { id }, next);
      // Disabling ends every session, so enabling the account again does not revive old tokens.
      if (next.status === UserStatus.Disabled && target.status !== UserStatus.Disabled) await endSessions(manager, id);
      return mapUser(await manager.findOneByOrFail(User, { id }));
    });
  }
}
