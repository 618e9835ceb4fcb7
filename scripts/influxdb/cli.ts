/** `npm run influx:start|stop|status`: the project's own InfluxDB under var/influxdb, on port 8086 by default. */
import * as path from 'node:path';
import { runningInstance, startLocalInflux, stopPid } from './local-influxd';

const dir = path.resolve(
  process.env.EARMARK_INFLUX_DIR ?? path.join(__dirname, '..', '..', 'var', 'influxdb'),
);
const port = Number(process.env.EARMARK_INFLUX_PORT ?? 8086);

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'start': {
      const inst = await startLocalInflux({ dir, httpPort: port, detached: true });
      console.log(`influxd running: ${inst.url} (pid ${inst.pid}, data in ${dir})`);
      return 0;
    }
    case 'stop': {
      const inst = await runningInstance(dir);
      if (!inst) {
        console.log('influxd is not running');
        return 0;
      }
      await stopPid(dir, inst.pid);
      console.log(`influxd stopped (pid ${inst.pid})`);
      return 0;
    }
    case 'status': {
      const inst = await runningInstance(dir);
      console.log(inst ? `influxd running: ${inst.url} (pid ${inst.pid})` : 'influxd is not running');
      return inst ? 0 : 3;
    }
    default:
      console.error('usage: tsx scripts/influxdb/cli.ts start|stop|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
