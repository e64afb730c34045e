// Entry point of the char-rnn program (`pnpm start`, the `unroll-char-rnn` bin): runs main on the command line.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
