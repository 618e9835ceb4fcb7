import type { InfluxHttp } from './influx/http-client';
import type { StoreWriter } from './writer/batch-writer';

/** What every concept module of the store needs: the query client, the writer, the database. */
export interface StoreContext {
  http: InfluxHttp;
  writer: StoreWriter;
  db: string;
}
