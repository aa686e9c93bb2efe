import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from './auth.types.js';
import { Auth, Authenticated } from './authenticated.decorator.js';
import { UpdatedMyUserDto, UpdateMyUserDto, UserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('Users')
@Controller('users')
export class UsersController {
  constructor(private readonly service: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserDto })
  getMyUser(@Auth() auth: AuthContext): UserDto {
    return this.service.getMe(auth.user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({
    summary: 'Change my name or password',
    description:
      'Changing the password needs the current one and a different new one (400 naming newPassword). It ends every other session: ' +
      'tokens issued before stop working, and the answer carries a new token for this one. API keys keep working.',
  })
  @ApiOkResponse({ type: UpdatedMyUserDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  updateMyUser(@Auth() auth: AuthContext, @Body() dto: UpdateMyUserDto): Promise<UpdatedMyUserDto> {
    return this.service.updateMe(auth.user, dto);
  }
}
