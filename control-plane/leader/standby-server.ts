/**
 * What a standby replica serves on the API port while it waits for the lease: liveness and
 * readiness (it is alive and ready to take over; a standby reporting unready would stall every
 * rolling update of the Deployment), and a 503 naming the leader for anything else. Traffic does
 * not reach it through the Service, which selects the pod labeled `earmark.io/role: leader`
 * (pod-role.ts); only a port-forward or a pod IP does. The leader's own API replaces this listener
 * on the same port once this replica leads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startApiServer, type ApiServer } from '../api/server';

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

export function standbyHandler(leader: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const holder = leader();
    const who = holder ? `the leader is ${holder}` : 'no leader is known yet';
    if (path === '/healthz') return json(res, 200, { status: 'ok', role: 'standby', leader: holder });
    if (path === '/readyz')
      // The API's Readiness shape, so that tools reading /readyz need no second parser.
      return json(res, 200, {
        ready: true,
        degraded: false,
        role: 'standby',
        checks: [{ name: 'leader', ok: true, detail: `standby replica, ready to take over; ${who}` }],
      });
    json(res, 503, {
      error: {
        code: 'STANDBY',
        message: `This control-plane replica is a standby (${who}); use the earmark-control-plane Service.`,
        details: { leader: holder },
      },
    });
  };
}

export function startStandbyServer(host: string, port: number, leader: () => string): Promise<ApiServer> {
  return startApiServer(standbyHandler(leader), host, port);
}
