import type { User } from './user.entity.js';

/** Who is calling: attached to the request by the JWT or API-key strategy. */
export interface AuthContext {
  user: User;
  via: 'jwt' | 'api-key';
  apiKeyId?: string;
}

export interface JwtPayload {
  sub: string;
  /** The user's session epoch when the token was issued (absent in tokens older than epochs: 0). */
  ep?: number;
}
