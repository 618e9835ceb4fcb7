/**
 * The HTTP API as a process of its own, on the settings: the store on InfluxDB, the API token, the
 * Prometheus registry, the server. This is what `earmark serve` runs until the service (issue 8,
 * phase 2) adds the cycle and the distribution server; that service passes its live plan and proxy
 * status into StoreState (the `plan`, `proxies` and `checks` options) and keeps the rest of this.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Settings } from '../config';
import { Store } from '../store';
import { createRegistry } from '../telemetry';
import { allocatePolicyModel } from './allocate-policy-model';
import { createApi, type Api } from './app';
import { stderrLogger, type Logger } from './logger';
import { startApiServer } from './server';
import { StoreState, type StoreStateOptions } from './state/store-state';

export interface ApiService {
  url: string;
  /** The dashboard URL carrying the token in its fragment (never sent to the server). */
  dashboardUrl: string;
  token: string;
  /** Where a generated token was written (absent when the token came from the settings). */
  tokenFile?: string;
  api: Api;
  store: Store;
  close(): Promise<void>;
}

/** The token from the settings, or a new one written to apiTokenFile (mode 0600) for the CLI. */
export function resolveToken(settings: Settings): { token: string; file?: string } {
  if (settings.apiToken) return { token: settings.apiToken };
  const token = randomBytes(24).toString('base64url');
  const file = path.resolve(settings.apiTokenFile);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { token, file };
}

/** Stores the policyFile as version 1 when the store holds no policy yet. Returns what it did. */
export async function seedPolicy(state: StoreState, file: string, now: number): Promise<string> {
  if (!file) return 'no policyFile set';
  const current = await state.currentPolicy();
  if (current) return `policy version ${current.version} already stored; ${file} not loaded`;
  const text = fs.readFileSync(file, 'utf8');
  const checked = allocatePolicyModel.validate(parseYaml(text), text);
  if (!checked.ok) {
    throw new Error(
      `${file}: ${checked.issues.map((i) => `${i.line ?? '?'}: ${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  await state.appendPolicyVersion({
    version: 1,
    policy: checked.policy,
    createdAtMs: now,
    author: 'policyFile',
    source: text,
  });
  return `stored ${file} as policy version 1`;
}

export async function startApiService(
  settings: Settings,
  opts: { logger?: Logger; state?: Partial<StoreStateOptions> } = {},
): Promise<ApiService> {
  const logger = opts.logger ?? stderrLogger;
  const store = await Store.open({
    url: settings.influxUrl,
    database: settings.influxDatabase,
    spoolDir: settings.spoolDir,
  });
  try {
    const state = new StoreState({
      store,
      now: Date.now,
      forecastStepMs: settings.forecastStepMs,
      ...opts.state,
    });
    if (settings.policyFile) {
      await store.schemaReady;
      logger.info(await seedPolicy(state, settings.policyFile, Date.now()));
    }
    const { token, file } = resolveToken(settings);
    const api = createApi({
      state,
      tokens: [token],
      registry: createRegistry(),
      bodyLimitBytes: settings.apiBodyLimitBytes,
      dashboard: { public: settings.dashboardPublic },
      logger,
    });
    const server = await startApiServer(api.app, settings.apiHost, settings.apiPort);
    return {
      url: server.url,
      dashboardUrl: `${server.url}/dashboard/#token=${encodeURIComponent(token)}`,
      token,
      tokenFile: file,
      api,
      store,
      close: async () => {
        await server.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
