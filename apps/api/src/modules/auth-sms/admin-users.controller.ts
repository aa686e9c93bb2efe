import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { IdParamDto } from '../../common/id-param.dto.js';
import type { AuthContext } from './auth.types.js';
import { Auth, Authenticated } from './authenticated.decorator.js';
import { AdminSetPasswordDto, AdminUpdateUserDto, SearchUsersQueryDto, UserDto, UserPageDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('Admin')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly service: UsersService) {}

  @Get()
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'List users, paged, optionally searched by name, email or phone' })
  @ApiOkResponse({ type: UserPageDto })
  searchUsers(@Query() query: SearchUsersQueryDto): Promise<UserPageDto> {
    return this.service.search(query);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  @ApiOperation({
    summary: "Change a user's role or status",
    description: 'Disabling a user makes their tokens and API keys fail at once. The last active admin cannot be demoted or disabled, and admins cannot demote or disable themselves (409).',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  updateUserByAdmin(@Auth() auth: AuthContext, @Param() { id }: IdParamDto, @Body() dto: AdminUpdateUserDto): Promise<UserDto> {
    return this.service.adminUpdate(auth.user, id, dto);
  }

  @Post(':id/password')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({
    summary: "Set a user's password",
    description: 'For a user who cannot reset it by SMS. Ends all their sessions (API keys keep working); the user is asked to change it (mustChangePassword).',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  setUserPasswordByAdmin(@Param() { id }: IdParamDto, @Body() dto: AdminSetPasswordDto): Promise<UserDto> {
    return this.service.adminSetPassword(id, dto);
  }
}
