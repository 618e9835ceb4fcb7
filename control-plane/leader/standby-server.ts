/**
 * What a standby replica serves on the API port while it waits for the lease: liveness, readiness
 * (ready to take over: it reads the Lease and its pod is labeled standby; a standby that could
 * never be ready would stall every rolling update of the Deployment, one that is ready while it
 * cannot reach the Lease API would let a broken version finish a rollout), and a 503 naming the
 * leader for anything else. Traffic does not reach it through the Service, which selects the pod
 * labeled `earmark.io/role: leader` (pod-role.ts); only a port-forward or a pod IP does. The
 * leader's own API replaces this listener on the same port once this replica leads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startApiServer, type ApiServer } from '../api/server';

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/** What the standby says about itself; `ready` false keeps it out of a rolling update's count. */
export interface StandbyStatus {
  leader: string;
  ready: boolean;
  detail: string;
}

export function standbyHandler(status: () => StandbyStatus) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const st = status();
    if (path === '/healthz') return json(res, 200, { status: 'ok', role: 'standby', leader: st.leader });
    if (path === '/readyz')
      // The API's Readiness shape, so that tools reading /readyz need no second parser.
      return json(res, st.ready ? 200 : 503, {
        ready: st.ready,
        degraded: false,
        role: 'standby',
        checks: [{ name: 'leader', ok: st.ready, detail: st.detail }],
      });
    const who = st.leader ? `the leader is ${st.leader}` : 'no leader is known yet';
    json(res, 503, {
      error: {
        code: 'STANDBY',
        message: `This control-plane replica is a standby (${who}); use the earmark-control-plane Service.`,
        details: { leader: st.leader },
      },
    });
  };
}

export function startStandbyServer(
  host: string,
  port: number,
  status: () => StandbyStatus,
): Promise<ApiServer> {
  return startApiServer(standbyHandler(status), host, port);
}
