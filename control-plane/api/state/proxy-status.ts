/**
 * The distribution server's view of one proxy (distribute's NodeStatus) as the API shows it: the
 * plan version it ACKed, how far behind it is, its NACKs. The service passes
 * `proxies: () => server.nodes().map(proxyStatusOf)` to StoreState.
 */
import type { NodeStatus } from '../../distribute';
import type { ProxyStatus } from '../port';

export function proxyStatusOf(n: NodeStatus): ProxyStatus {
  return {
    nodeId: n.nodeId,
    connected: n.connected,
    ...(n.ackedSystemVersion && { ackedVersion: n.ackedSystemVersion }),
    revisionsBehind: n.revisionsBehind,
    secondsBehind: n.msBehind / 1000,
    nacks: n.nacks,
    ...(n.lastNack && { lastNack: n.lastNack.message }),
  };
}
