/**
 * Serves the dashboard's static shell from control-plane/api/dashboard/ and uPlot from its npm
 * package (never copied). The shell holds no data; every data call it makes carries the token.
 */
import * as path from 'node:path';
import express, { type Express } from 'express';
import type { BearerAuth } from './auth';
import type { ApiError } from './errors';

export const DASHBOARD_DIR = path.join(__dirname, 'dashboard');

export function uplotDistDir(): string {
  return path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');
}

export function mountDashboard(
  app: Express,
  opts: { public: boolean; auth: BearerAuth; onError: (res: express.Response, err: ApiError) => void },
): void {
  if (!opts.public) {
    app.use('/dashboard', (req, res, next) => {
      try {
        opts.auth.check(req.headers.authorization);
        next();
      } catch (err) {
        opts.onError(res, err as ApiError);
      }
    });
  }
  const statics = { index: 'index.html', fallthrough: true, maxAge: 0 };
  app.use('/dashboard/vendor/uplot', express.static(uplotDistDir(), statics));
  app.use('/dashboard', express.static(DASHBOARD_DIR, statics));
}
