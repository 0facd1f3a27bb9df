import { connectBus, createLogger, startNatsServer, OipClient, fp32Request, oipParam } from "@fulcrum/runtime";
import { stageConfigSchema, startStage } from "./services/stage/src/index.ts";
import { resolveModelDir } from "@fulcrum/zoo";
const logger = createLogger({ service: "x", level: "silent" });
const pipeline = "lgx";
const stage = await startStage(stageConfigSchema.parse({ pipeline, stage: "classifier", instance: "s0", family: "fashion", variant: "linear", modelDir: resolveModelDir(process.env, process.cwd()), heartbeatMs: 200 }), { logger });
const t = setInterval(() => console.log("tick", stage.server.totals.completions), 300);
const c = new OipClient(stage.grpcAddress);
const mode = process.argv[2];
const ps = [];
for (let i = 0; i < 120; i++) {
  await new Promise((r) => setTimeout(r, 12));
  const dl = Date.now() + (mode === "spread" ? 500 + ((i * 7919) % 1000) : 1000);
  ps.push(c.infer(fp32Request("classifier", "input", [1, 28, 28], { params: { deadline_unix_ms: oipParam.int(dl) } })));
}
const rs = await Promise.all(ps);
console.log("done", rs.filter((r) => r.ok).length);
clearInterval(t); c.close(); await stage.shutdown();
