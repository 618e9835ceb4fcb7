/**
 * docker-compose.yaml checked without Docker: known keys, each service built or pulled, build
 * contexts, Dockerfiles and their COPY sources present, depends_on targets and conditions,
 * bind-mount sources present, named volumes and networks declared, fixed addresses inside their
 * subnet, no host port published twice, URLs in the environment naming a reachable service, and
 * for a mounted Envoy config: its upstream host names resolvable on the compose network and the
 * files it reads mounted into the container.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { didYouMean, Finding } from './findings';
import { entry, LNode, nodeAt, parseLocated, toPlain } from './located';

const TOP = ['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets', 'include'];
const SERVICE_KEYS = [
  'attach',
  'build',
  'cap_add',
  'cap_drop',
  'cgroup',
  'command',
  'configs',
  'container_name',
  'cpus',
  'depends_on',
  'deploy',
  'develop',
  'dns',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'extends',
  'extra_hosts',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'labels',
  'links',
  'logging',
  'mem_limit',
  'network_mode',
  'networks',
  'pid',
  'platform',
  'ports',
  'privileged',
  'profiles',
  'pull_policy',
  'read_only',
  'restart',
  'secrets',
  'security_opt',
  'shm_size',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'user',
  'volumes',
  'working_dir',
];
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

type Obj = Record<string, any>;

export function checkCompose(file: string, dir: string, root: LNode): Finding[] {
  const out: Finding[] = [];
  const report = (p: (string | number)[], message: string, rule: Finding['rule'] = 'reference') => {
    const n = nodeAt(root, p) ?? root;
    const key = p.length ? entry(nodeAt(root, p.slice(0, -1)), String(p[p.length - 1])) : undefined;
    out.push({ file, pos: key?.keyPos ?? n.pos, path: p, rule, severity: 'error', message });
  };
  if (root.kind !== 'map')
    return [
      {
        file,
        pos: root.pos,
        path: [],
        rule: 'type',
        severity: 'error',
        message: 'a compose file is a mapping',
      },
    ];
  for (const e of root.entries) {
    if (!TOP.includes(e.key) && !e.key.startsWith('x-'))
      report([e.key], `unknown top-level key "${e.key}"${didYouMean(e.key, TOP)}`, 'unknown-field');
  }
  const doc = toPlain(root) as Obj;
  const services: Obj = doc.services ?? {};
  const names = Object.keys(services);
  if (!names.length) report([], 'no services');
  const declaredVolumes = Object.keys(doc.volumes ?? {});
  const declaredNetworks = Object.keys(doc.networks ?? {});
  const hostnames = new Set(names);
  for (const s of Object.values(services)) {
    for (const n of Object.values((s?.networks && !Array.isArray(s.networks) ? s.networks : {}) as Obj)) {
      for (const a of (n?.aliases ?? []) as string[]) hostnames.add(a);
    }
  }
  const hostPorts = new Map<string, string>();

  for (const name of names) {
    const s: Obj = services[name] ?? {};
    const base = ['services', name];
    for (const key of Object.keys(s)) {
      if (!SERVICE_KEYS.includes(key) && !key.startsWith('x-')) {
        report(
          [...base, key],
          `unknown service key "${key}"${didYouMean(key, SERVICE_KEYS)}`,
          'unknown-field',
        );
      }
    }
    if (!s.image && !s.build) report(base, `service "${name}" has neither image nor build`);
    if (s.build) checkBuild(dir, s.build, [...base, 'build'], report);

    const deps = Array.isArray(s.depends_on)
      ? Object.fromEntries(s.depends_on.map((d: string) => [d, {}]))
      : (s.depends_on ?? {});
    for (const [dep, spec] of Object.entries(deps as Obj)) {
      const p = [...base, 'depends_on', Array.isArray(s.depends_on) ? s.depends_on.indexOf(dep) : dep];
      if (!services[dep]) report(p, `depends on "${dep}", which is not a service${didYouMean(dep, names)}`);
      const cond = (spec as Obj)?.condition;
      if (cond && !CONDITIONS.includes(cond))
        report([...p, 'condition'], `unknown condition "${cond}"; one of ${CONDITIONS.join(', ')}`);
      if (cond === 'service_healthy' && services[dep] && !services[dep].healthcheck) {
        report([...p, 'condition'], `waits for "${dep}" to be healthy, but "${dep}" has no healthcheck`);
      }
    }

    (s.volumes ?? []).forEach((v: unknown, i: number) => {
      const [src] = typeof v === 'string' ? v.split(':') : [(v as Obj)?.source];
      if (!src) return;
      if (src.startsWith('.') || src.startsWith('/')) {
        if (src.startsWith('.') && !fs.existsSync(path.resolve(dir, src)))
          report([...base, 'volumes', i], `bind-mount source "${src}" does not exist`);
      } else if (!declaredVolumes.includes(src)) {
        report(
          [...base, 'volumes', i],
          `named volume "${src}" is not declared under top-level volumes${didYouMean(src, declaredVolumes)}`,
        );
      }
    });

    const nets = Array.isArray(s.networks)
      ? Object.fromEntries(s.networks.map((n: string) => [n, {}]))
      : (s.networks ?? {});
    for (const [net, spec] of Object.entries(nets as Obj)) {
      if (net !== 'default' && !declaredNetworks.includes(net)) {
        report(
          [...base, 'networks', net],
          `network "${net}" is not declared under top-level networks${didYouMean(net, declaredNetworks)}`,
        );
        continue;
      }
      const ip = (spec as Obj)?.ipv4_address;
      const subnets: string[] = (doc.networks?.[net]?.ipam?.config ?? [])
        .map((c: Obj) => c.subnet)
        .filter(Boolean);
      if (ip && !subnets.some((sn) => inSubnet(ip, sn))) {
        report(
          [...base, 'networks', net, 'ipv4_address'],
          `${ip} is outside network "${net}"'s subnets (${subnets.join(', ') || 'none declared'})`,
        );
      }
    }

    (s.ports ?? []).forEach((p: unknown, i: number) => {
      const m = typeof p === 'string' ? /^(?:([\d.]+):)?(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(p) : null;
      if (typeof p === 'string' && !m)
        return report([...base, 'ports', i], `cannot read port mapping "${p}"`);
      if (!m || !m[2]) return;
      const key = `${m[1] ?? '0.0.0.0'}:${m[2]}`;
      const other = hostPorts.get(key) ?? hostPorts.get(`0.0.0.0:${m[2]}`);
      if (other) report([...base, 'ports', i], `host port ${m[2]} is already published by "${other}"`);
      hostPorts.set(key, name);
    });

    for (const [k, v] of Object.entries(normalizeEnv(s.environment))) {
      const host = /^[a-z]+:\/\/([A-Za-z0-9_.-]+)(?::\d+)?/.exec(String(v))?.[1];
      if (
        host &&
        !hostnames.has(host) &&
        !/^(localhost|127\.0\.0\.1|0\.0\.0\.0)$/.test(host) &&
        !host.includes('.')
      ) {
        report(
          [...base, 'environment', k],
          `${k} points at "${host}", which is no service or alias here${didYouMean(host, [...hostnames])}`,
        );
      }
    }
    checkMountedEnvoyConfig(dir, name, s, hostnames, base, report);
  }
  return out;
}

function normalizeEnv(env: unknown): Record<string, string> {
  if (Array.isArray(env))
    return Object.fromEntries(env.map((x: string) => [x.split('=')[0], x.split('=').slice(1).join('=')]));
  return (env ?? {}) as Record<string, string>;
}

function inSubnet(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const n = (s: string) => s.split('.').reduce((a, x) => (a << 8) + Number(x), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (n(ip) & mask) === (n(net) & mask);
}

type Report = (p: (string | number)[], message: string) => void;

function checkBuild(dir: string, build: unknown, p: (string | number)[], report: Report): void {
  const b: Obj = typeof build === 'string' ? { context: build } : (build as Obj);
  const context = path.resolve(dir, b.context ?? '.');
  if (!fs.existsSync(context))
    return report([...p, 'context'], `build context "${b.context}" does not exist`);
  const dockerfile = path.resolve(context, b.dockerfile ?? 'Dockerfile');
  if (!fs.existsSync(dockerfile))
    return report(p, `Dockerfile "${b.dockerfile ?? 'Dockerfile'}" is not in the build context`);
  const text = fs.readFileSync(dockerfile, 'utf8');
  const stages = [...text.matchAll(/^FROM\s+\S+(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]).filter(Boolean);
  if (b.target && !stages.includes(b.target))
    report([...p, 'target'], `Dockerfile has no stage "${b.target}" (${stages.join(', ')})`);
  // Every plain COPY source (not --from, not a glob) must be in the context.
  const seen = new Set<string>();
  for (const m of text.matchAll(/^COPY\s+(?!--from)((?:--\S+\s+)*)(.+)$/gim)) {
    const parts = m[2].trim().split(/\s+/).slice(0, -1);
    for (const src of parts) {
      if (/[*?]/.test(src) || src === '.' || seen.has(src)) continue;
      seen.add(src);
      if (!fs.existsSync(path.resolve(context, src)))
        report(p, `Dockerfile copies "${src}", which is not in the build context`);
    }
  }
}

/** An Envoy bootstrap bind-mounted into a service: its DNS upstreams and the files it reads. */
function checkMountedEnvoyConfig(
  dir: string,
  name: string,
  s: Obj,
  hostnames: Set<string>,
  base: (string | number)[],
  report: Report,
) {
  const mounts = (s.volumes ?? []).map((v: unknown) =>
    typeof v === 'string' ? v.split(':') : [(v as Obj).source, (v as Obj).target],
  );
  for (const [src] of mounts as string[][]) {
    if (!src?.startsWith('.') || !/envoy[^/]*\.ya?ml$/.test(src)) continue;
    const abs = path.resolve(dir, src);
    if (!fs.existsSync(abs)) continue;
    const root = parseLocated(fs.readFileSync(abs, 'utf8'))[0]?.root;
    if (!root) continue;
    const cfg = toPlain(root) as Obj;
    for (const c of (cfg.static_resources?.clusters ?? []) as Obj[]) {
      if (!['STRICT_DNS', 'LOGICAL_DNS'].includes(c.type)) continue;
      for (const ep of c.load_assignment?.endpoints ?? []) {
        for (const lb of ep.lb_endpoints ?? []) {
          const host = lb.endpoint?.address?.socket_address?.address;
          if (host && !hostnames.has(host))
            report(
              [...base, 'volumes'],
              `${src} cluster "${c.name}" connects to "${host}", which is no service or alias in this compose file`,
            );
        }
      }
    }
    const targets = mounts.map((m: string[]) => m[1]).filter(Boolean) as string[];
    for (const f of collectFilenames(cfg)) {
      if (!targets.some((t) => f === t || f.startsWith(t.endsWith('/') ? t : `${t}/`))) {
        report([...base, 'volumes'], `${src} reads ${f}, but no volume of "${name}" is mounted there`);
      }
    }
  }
}

function collectFilenames(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) x.forEach((v) => collectFilenames(v, out));
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'filename' && typeof v === 'string' && v.startsWith('/') && !v.startsWith('/dev/'))
        out.push(v);
      else collectFilenames(v, out);
    }
  }
  return out;
}
