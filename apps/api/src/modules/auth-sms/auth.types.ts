import type { User } from './user.entity.js';

/** Who is calling: attached to the request by the JWT or API-key strategy. */
export interface AuthContext {
  user: User;
  via: 'jwt' | 'api-key';
  apiKeyId?: string;
}

export interface JwtPayload {
  sub: string;
}
