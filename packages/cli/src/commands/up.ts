import { Command } from "commander";

/**
 * `fulcrum up`: start the whole system locally. Until every service exists this says exactly what
 * runs and what does not, instead of pretending.
 */
export function upCommand(): Command {
  return new Command("up").description("start the whole Fulcrum system locally (embedded nats-server when none answers at NATS_URL)").action(() => {
    process.stdout.write(
      [
        "fulcrum up: the live system is not assembled yet.",
        "Available now: the contracts (@fulcrum/proto), the shared runtime (@fulcrum/runtime: config, NATS bus, gRPC,",
        "telemetry, lifecycle) and their tests (`npm test`).",
        "Not there yet: the stage, gateway, monitor, predictor, optimizer and loadgen services; `npm start` will start",
        "them (with a private nats-server) once they exist.",
        "",
      ].join("\n"),
    );
    process.exitCode = 1;
  });
}
