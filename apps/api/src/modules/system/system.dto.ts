import { ApiProperty } from '@nestjs/swagger';

export class SandboxInfoDto {
  @ApiProperty({ description: 'Whether the built-in provider sandbox is mounted on this server' })
  enabled: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Path of the sandbox on this server, e.g. /sandbox', example: '/sandbox' })
  path: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Where the sandbox keeps the SMS it "sent"', example: '/sandbox/_control/sms' })
  smsOutboxPath: string | null;
}

export class SystemInfoDto {
  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'False on a fresh install: the first account to sign up becomes the administrator' })
  hasAccounts: boolean;

  @ApiProperty({ type: () => SandboxInfoDto })
  sandbox: SandboxInfoDto;
}
