/** Entry point for npm scripts (`tsx control-plane/cli/main-run.ts <command> ...`). */
import { main } from './main';

main(process.argv.slice(2)).then((code) => process.exit(code));
