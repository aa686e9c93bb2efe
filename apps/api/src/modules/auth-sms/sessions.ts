import type { EntityManager } from 'typeorm';

/** NOTIFY channel announcing that a user's sessions ended (payload: the user id). */
export const USER_SESSIONS_CHANNEL = 'user_sessions';

/**
 * Ends every sign-in session of a user: tokens carry the user's session epoch, and this moves it
 * on, so every token issued before is refused from now on (API keys are not sessions and keep
 * working). Announced to every instance, which close the user's live event streams. Answers the
 * new epoch, for the token that replaces the caller's own.
 */
export async function endSessions(manager: EntityManager, userId: string): Promise<number> {
  const [rows] = await manager.query(`UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch`, [userId]);
  await manager.query(`SELECT pg_notify($1, $2)`, [USER_SESSIONS_CHANNEL, userId]);
  return rows[0]?.session_epoch ?? 0;
}
