import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './config/app-config.js';

/**
 * The committed OpenAPI document passes Redocly's recommended rules (redocly.yaml) with no error:
 * the same check as `npx redocly lint`, offline (no telemetry, no update check).
 */
describe('the committed OpenAPI document', () => {
  it('passes redocly lint with the recommended rules', async () => {
    const cli = join(repoRoot, 'node_modules/@redocly/cli/bin/cli.js');
    const run = promisify(execFile)(process.execPath, [cli, 'lint', '--format=json'], {
      cwd: repoRoot,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NODE_OPTIONS: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const { stdout } = await run.catch((error: { stdout?: string; stderr?: string }) => {
      // A lint with errors exits non-zero; its report is still on stdout.
      if (!error.stdout) throw new Error(`redocly lint did not run: ${error.stderr}`);
      return { stdout: error.stdout };
    });
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);
});
