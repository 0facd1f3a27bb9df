import { createReconcileMetrics, startReconcileLoop } from "@fulcrum/actuator";
import { connectBus, createLifecycle, createLogger, natsConnectOptions, startMetricsServer } from "@fulcrum/runtime";
import { Command } from "commander";
import { loadReconcilerConfig, type ReconcilerConfig } from "../reconcile/config.js";

/** Command-line flags, each overriding its `FULCRUM_RECONCILER_<KEY>` variable. */
interface ReconcileFlags {
  pipeline?: string;
  namespace?: string;
  coreBudget?: string;
  bootstrap?: string;
  maxConcurrentStarts?: string;
  metricsPort?: string;
  natsUrl?: string;
  natsUser?: string;
  natsTlsCaFile?: string;
  natsTlsCertFile?: string;
  natsTlsKeyFile?: string;
}

/** The environment the configuration is read from: the process's, with the flags on top. */
function envWithFlags(env: NodeJS.ProcessEnv, flags: ReconcileFlags): Record<string, string | undefined> {
  const keys: Record<keyof ReconcileFlags, string> = {
    pipeline: "PIPELINE",
    namespace: "NAMESPACE",
    coreBudget: "CORE_BUDGET",
    bootstrap: "BOOTSTRAP",
    maxConcurrentStarts: "MAX_CONCURRENT_STARTS",
    metricsPort: "METRICS_PORT",
    natsUrl: "NATS_URL",
    natsUser: "NATS_USER",
    natsTlsCaFile: "NATS_TLS_CA_FILE",
    natsTlsCertFile: "NATS_TLS_CERT_FILE",
    natsTlsKeyFile: "NATS_TLS_KEY_FILE",
  };
  const out: Record<string, string | undefined> = { ...env };
  for (const [flag, key] of Object.entries(keys)) {
    const v = flags[flag as keyof ReconcileFlags];
    if (v !== undefined) out[`FULCRUM_RECONCILER_${key}`] = v;
  }
  return out;
}

/**
 * `fulcrum reconcile`: the reconcile loop of one pipeline on Kubernetes, as a long-running process
 * (the `reconciler` Deployment of `infra/k8s`). Desired = the Assignment in force, observed = the
 * registry and the pods; the Kubernetes actuator scales the per-variant stage Deployments, claims
 * their pods, resizes them in place and drains them. Serves its series (`fulcrum_actuator_*`) on
 * `/metrics`. On SIGTERM it stops reconciling and leaves the pods serving; the next run retires
 * this run's pods once its own replicas are ready.
 */
export function reconcileCommand(): Command {
  return new Command("reconcile")
    .description("run the reconcile loop of one pipeline against Kubernetes (per-variant stage Deployments; in a pod or with your kubeconfig)")
    .option("--pipeline <name>", "pipeline (FULCRUM_RECONCILER_PIPELINE)")
    .option("--namespace <ns>", "namespace of the stage Deployments (FULCRUM_RECONCILER_NAMESPACE, default fulcrum)")
    .option("--core-budget <n>", "cores the stage replicas may hold in all (FULCRUM_RECONCILER_CORE_BUDGET)")
    .option("--bootstrap <json>", 'replicas before the first Assignment, e.g. \'{"classifier":[{"variant":"mlp"}]}\' (FULCRUM_RECONCILER_BOOTSTRAP)')
    .option("--max-concurrent-starts <n>", "replicas starting at once over the pipeline (FULCRUM_RECONCILER_MAX_CONCURRENT_STARTS, default 64; FULCRUM_RECONCILER_MAX_ACTIONS_PER_PASS, default 128)")
    .option("--metrics-port <port>", "port of /metrics, /healthz, /readyz (FULCRUM_RECONCILER_METRICS_PORT, default 9469)")
    .option("--nats-url <url>", "NATS server(s) (NATS_URL, default nats://127.0.0.1:4222)")
    // No password flag: a command line is visible to every user of the machine (ps).
    .option("--nats-user <user>", "NATS user, `launcher` in infra/nats-auth.conf (NATS_USER); its password only from NATS_PASSWORD")
    .option("--nats-tls-ca-file <pem>", "CA to verify the NATS server with; turns TLS on (NATS_TLS_CA_FILE)")
    .option("--nats-tls-cert-file <pem>", "client certificate for a server that verifies clients (NATS_TLS_CERT_FILE)")
    .option("--nats-tls-key-file <pem>", "key of --nats-tls-cert-file (NATS_TLS_KEY_FILE)")
    .action(async (flags: ReconcileFlags) => {
      process.exitCode = await reconcile(loadReconcilerConfig(envWithFlags(process.env, flags)));
    });
}

async function reconcile(config: ReconcilerConfig): Promise<number> {
  const logger = createLogger({ service: "reconciler", level: config.logLevel });
  const lifecycle = createLifecycle({ logger });
  // Loaded here only: the Kubernetes client takes seconds to import and no other command needs it.
  const { KubernetesActuator, loadKubeConfig } = await import("@fulcrum/actuator/kubernetes");
  const metrics = createReconcileMetrics();
  let bus;
  try {
    bus = await connectBus({ ...natsConnectOptions(config), name: `reconciler-${config.pipeline}`, logger });
  } catch (err) {
    logger.fatal({ err, natsUrl: config.natsUrl, natsUser: config.natsUser }, "cannot reach NATS");
    return 1;
  }
  let actuator;
  try {
    actuator = await KubernetesActuator.connect({ kubeConfig: loadKubeConfig(), pipeline: config.pipeline, namespace: config.namespace, runId: config.runId, registry: metrics.registry, logger });
  } catch (err) {
    // Forbidden (RBAC), no such namespace, API unreachable: nothing to reconcile with.
    logger.fatal({ err, code: (err as { code?: string }).code, namespace: config.namespace }, "cannot use the Kubernetes API");
    await bus.drain();
    return 1;
  }
  const loop = await startReconcileLoop({
    pipeline: config.pipeline,
    bus,
    actuator,
    coreBudget: config.coreBudget,
    bootstrap: config.bootstrap,
    instancePrefix: `${config.runId}-`,
    passIntervalMs: config.passIntervalMs,
    startTimeoutMs: config.startTimeoutMs,
    config: { maxConcurrentStarts: config.maxConcurrentStarts, maxActionsPerPass: config.maxActionsPerPass },
    metrics,
    logger,
  });
  const server = await startMetricsServer({ port: config.metricsPort, host: config.metricsHost, registry: metrics.registry, ready: () => lifecycle.state === "ready" });

  // A previous run's pods serve until this run's replicas do; then they are drained.
  let retire: NodeJS.Timeout | undefined = setInterval(() => {
    const s = loop.snapshot();
    const serving = Object.keys(config.bootstrap).every((stage) => s.replicas.some((r) => r.stage === stage && r.phase === "ready"));
    if (!serving) return;
    clearInterval(retire);
    retire = undefined;
    void actuator.retireStrays().catch((err: unknown) => logger.warn({ err }, "reconciler: retiring a previous run's pods failed"));
  }, 1000);

  lifecycle.onShutdown("retire", () => retire && clearInterval(retire));
  lifecycle.onShutdown("loop", () => loop.stop());
  lifecycle.onShutdown("actuator", () => actuator.close());
  lifecycle.onShutdown("nats", () => bus.drain());
  lifecycle.onShutdown("metrics", () => server.close());
  lifecycle.installSignalHandlers();
  lifecycle.ready();
  logger.info({ pipeline: config.pipeline, namespace: config.namespace, runId: config.runId, coreBudget: config.coreBudget, metricsPort: server.port }, "reconciler ready");
  return 0;
}
