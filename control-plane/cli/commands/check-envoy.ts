/** `earmark check-envoy [files...]`: the Envoy, Istio and compose configs, checked offline (envoy/check). */
import * as path from 'node:path';
import { Command, UsageError } from '../command';

export const command: Command = {
  name: 'check-envoy',
  summary: "Check the shipped Envoy, Istio and compose configs against Envoy's API and the CRD schemas",
  help: `usage: earmark check-envoy [--json] [--no-plugin] [--wasm <file>] [file ...]

Checks every config Earmark ships (envoy/envoy.yaml, envoy/istio/**.yaml, docker-compose.yaml),
or the files given, without running Envoy, Kubernetes or Docker:
  - Envoy configs (bootstraps, EnvoyFilter patch values) against Envoy's v3 API protos with
    proto3-JSON strictness: unknown fields, enum names, Durations, @type in Any, required fields
    and constraints from the protos' validate annotations, oneofs;
  - Kubernetes and Istio objects against their schemas, unknown fields included, and the
    references between them (service accounts, secrets and keys, selectors, ports, gateways);
  - docker-compose.yaml: services, build contexts, volumes, networks, depends_on, ports;
  - every Earmark plugin configuration, by the filter itself: build/earmark.wasm is loaded in the
    proxy-wasm host (wasm-host/) and on_configure is called with it.
Prints one line per finding (file:line:col: severity [rule] path: message); exits 1 on any error.

options:
  --json        print the report as JSON
  --no-plugin   skip the filter's own config validation
  --wasm <file> the filter module (default build/earmark.wasm)

example: earmark check-envoy envoy/envoy.yaml`,
  async run(argv) {
    const files: string[] = [];
    let json = false;
    let plugin = true;
    let wasm: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--json') json = true;
      else if (a === '--no-plugin') plugin = false;
      else if (a === '--wasm') {
        wasm = argv[++i];
        if (!wasm) throw new UsageError('--wasm needs a file');
      } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
      else files.push(path.resolve(a));
    }
    // Loaded here, not at the top: every CLI start loads every command file, and the checker pulls
    // in protobufjs, Ajv and the Kubernetes schemas.
    /* eslint-disable @typescript-eslint/no-require-imports -- a lazy require: import() would bypass tsx's CommonJS hook */
    const { checkFiles, shippedFiles } =
      require('../../../envoy/check/check') as typeof import('../../../envoy/check/check');
    const { formatFinding } =
      require('../../../envoy/check/findings') as typeof import('../../../envoy/check/findings');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const report = await checkFiles(files.length ? files : shippedFiles(), { plugin, wasm });
    const errors = report.findings.filter((f) => f.severity === 'error');
    if (json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return errors.length ? 1 : 0;
    }
    for (const f of report.findings) process.stdout.write(formatFinding(f) + '\n');
    const pc = report.pluginConfigs;
    const rejected = report.findings.filter((f) => f.rule === 'plugin-config').length;
    const pluginLine = !plugin
      ? 'filter config validation skipped (--no-plugin)'
      : pc.found === 0
        ? 'no Earmark plugin configuration in these files'
        : pc.skipped
          ? `filter config validation NOT run: ${pc.skipped}`
          : `${pc.checked - rejected} of ${pc.checked} Earmark plugin configuration(s) accepted by the filter`;
    process.stdout.write(
      `${report.files.length} file(s) checked, ${errors.length} error(s), ${report.findings.length - errors.length} warning(s); ${pluginLine}\n`,
    );
    // An unchecked plugin configuration is an incomplete check, not a pass.
    if (plugin && pc.skipped && pc.found > 0) return 1;
    return errors.length ? 1 : 0;
  },
};
