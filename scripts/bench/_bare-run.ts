/**
 * Child process of the data-plane benchmarks: {@link measureBareSession} in a process of its own,
 * so it can be pinned to the same CPUs as the server it is compared with. Args: JSON
 * {@link BareSessionOptions}; prints one JSON line {@link BareSessionResult}.
 */
import { measureBareSession, type BareSessionOptions } from "./_bare-session.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as BareSessionOptions;
process.stdout.write(`${JSON.stringify(await measureBareSession(options))}\n`);
process.exit(0);
