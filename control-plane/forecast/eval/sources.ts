/**
 * Series specs on the command line:
 *
 *   SPEC   := PATHS [ "," OPTION ]*
 *   PATHS  := PATH [ "+" PATH ]*             files joined in the order given
 *   PATH   := a CSV file, or a directory (its *.csv files in name order)
 *   OPTION := "join"                         a directory's files form one series (not one each)
 *           | "column=" NAME                 the column to read (default: value, or the only one)
 *           | "interval=" DURATION           e.g. 5m, 30s, 1h; required without a timestamp column
 *           | "name=" LABEL                  the series' name in the report
 *
 * e.g.  nab/realTweets                                     five series
 *       google2019,join,column=avg_cpu,interval=5m         fourteen daily files, one series
 *       week1.csv+week2.csv,column=cpu_usage               two files, one series
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDuration, SeriesSource } from './csv-series';

export class SpecError extends Error {}

function csvFilesIn(dir: string): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new SpecError(`${dir}: no .csv files in this directory`);
  return files;
}

export function parseSpec(
  spec: string,
  defaults: { column?: string; intervalMs?: number } = {},
): SeriesSource[] {
  const [pathsPart, ...opts] = spec.split(',');
  let join = false;
  let column = defaults.column;
  let intervalMs = defaults.intervalMs;
  let name: string | undefined;
  for (const o of opts) {
    const [k, v] = o.split('=', 2);
    if (k === 'join' && v === undefined) join = true;
    else if (k === 'column' && v) column = v;
    else if (k === 'name' && v) name = v;
    else if (k === 'interval' && v) {
      intervalMs = parseDuration(v);
      if (intervalMs === undefined)
        throw new SpecError(`${spec}: interval "${v}" is not a duration (e.g. 5m, 30s, 1h)`);
    } else throw new SpecError(`${spec}: unknown option "${o}" (join, column=, interval=, name=)`);
  }
  const paths = pathsPart.split('+').filter((p) => p !== '');
  if (paths.length === 0) throw new SpecError(`"${spec}": no file or directory`);
  const groups: string[][] = [];
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new SpecError(`${p}: no such file or directory`);
    }
    groups.push(st.isDirectory() ? csvFilesIn(p) : [p]);
  }
  const joined = join || paths.length > 1;
  if (joined) return [{ files: groups.flat(), column, intervalMs, name }];
  if (name && groups[0].length > 1)
    throw new SpecError(`${spec}: name= needs a single series (add ",join"?)`);
  return groups[0].map((f) => ({ files: [f], column, intervalMs, name }));
}

/** The 16 series of issue 6, as specs relative to the traces directory. */
export function issueSeriesSpecs(traces: string): string[] {
  const aws = path.join(traces, 'nab/realAWSCloudwatch');
  return [
    ...['24ae8d', '53ea38', '5f5533', '77c1ca', '825cc2'].map((id) =>
      path.join(aws, `ec2_cpu_utilization_${id}.csv`),
    ),
    path.join(aws, 'ec2_disk_write_bytes_c0d644.csv'),
    path.join(aws, 'elb_request_count_8c0756.csv'),
    path.join(aws, 'rds_cpu_utilization_cc0c53.csv'),
    path.join(traces, 'nab/realTweets'),
    path.join(traces, 'nab/realKnownCause/nyc_taxi.csv'),
    `${path.join(traces, 'datacenter-aggregates/google2019')},join,column=avg_cpu,interval=5m,name=google2019-avg_cpu`,
    `${path.join(traces, 'datacenter-aggregates/azure_v2')},join,column=cpu_usage,name=azure_v2-cpu_usage`,
  ];
}
