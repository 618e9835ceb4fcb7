/** Mocha root hooks: shared fixtures started lazily by tests are torn down once, at the end. */
import { stopTestInflux } from './influx';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30000);
    await stopTestInflux();
  },
};
