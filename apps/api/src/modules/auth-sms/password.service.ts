import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

@Injectable()
export class PasswordService {
  /**
   * A hash of a random password, verified when the account does not exist so that a wrong
   * email costs as much time as a wrong password (no account enumeration by timing).
   */
  private decoyHash?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    if (!hash) {
      this.decoyHash ??= this.hash('decoy password that never matches');
      await argon2.verify(await this.decoyHash, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}
