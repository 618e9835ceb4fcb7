#!/usr/bin/env node
// The `earmark` command. The project runs its TypeScript through tsx (no build step for the control plane).
require('tsx/cjs');
require('../control-plane/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
