import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const file = (rel: string): string => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const yaml = (rel: string): any => parseYaml(readFileSync(file(rel), "utf8"), { merge: true }); // eslint-disable-line @typescript-eslint/no-explicit-any -- untyped YAML
const base = yaml("docker-compose.yml");
const local = yaml("docker-compose.local.yml");
const published = yaml("docker-compose.override.yml");
const prometheus = yaml("infra/prometheus/prometheus.yml");
const FULCRUM = ["stage-0", "stage-1", "monitor", "predictor", "optimizer", "gateway"];

describe("docker-compose files", () => {
  it("run NATS, two stage replicas, every service, Prometheus, Jaeger and Grafana", () => {
    expect(Object.keys(base.services).sort()).toEqual([...FULCRUM, "nats", "prometheus", "jaeger", "grafana"].sort());
    for (const s of FULCRUM) expect(base.services[s].image, s).toBe("fulcrum:latest");
  });

  it("every Fulcrum service names itself, fixes its metrics port, and Prometheus scrapes exactly that port", () => {
    const targets = new Set(prometheus.scrape_configs.flatMap((j: { static_configs: Array<{ targets: string[] }> }) => j.static_configs.flatMap((c) => c.targets)));
    const expected = new Set<string>();
    for (const s of FULCRUM) {
      const env = base.services[s].environment as Record<string, string>;
      const port = env[`FULCRUM_${env.FULCRUM_SERVICE!.toUpperCase()}_METRICS_PORT`];
      expect(Number(port), `${s}: the image's health check needs a fixed metrics port`).toBeGreaterThan(0);
      expected.add(`${s}:${port}`);
    }
    expect(targets).toEqual(expected);
  });

  it("on one host network no two services share a port", () => {
    const ports = FULCRUM.flatMap((s) => Object.entries(base.services[s].environment as Record<string, string>).filter(([k]) => k.endsWith("_PORT")).map(([, v]) => v));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("the local override changes images, network and bind hosts only, and leaves out Jaeger and Grafana", () => {
    expect(local.services.jaeger).toEqual({ profiles: ["unavailable-here"] });
    expect(local.services.grafana).toEqual({ profiles: ["unavailable-here"] });
    for (const s of [...FULCRUM, "nats", "prometheus"]) {
      const o = local.services[s];
      expect(o.network_mode, s).toBe("host");
      expect([...Object.keys(o)].every((k) => ["network_mode", "extra_hosts", "build", "environment", "image", "command", "healthcheck"].includes(k)), s).toBe(true);
      for (const [k, v] of Object.entries((o.environment ?? {}) as Record<string, string>)) {
        if (k.endsWith("_HOST")) expect(v, `${s} ${k}`).toBe("127.0.0.1");
      }
    }
    // Every compose service name another service dials resolves to loopback.
    expect(local.services.gateway.extra_hosts.sort()).toEqual(["nats", ...FULCRUM, "prometheus"].map((h) => `${h}:127.0.0.1`).sort());
  });

  it("host ports are published only by docker-compose.override.yml (a host-network run cannot publish)", () => {
    expect(Object.values(base.services).filter((s) => (s as { ports?: unknown }).ports !== undefined)).toEqual([]);
    expect(published.services).toEqual({
      gateway: { ports: ["8000:8000", "8001:8001"] },
      prometheus: { ports: ["9090:9090"] },
      grafana: { ports: ["3000:3000"] },
      jaeger: { ports: ["16686:16686", "4318:4318"] },
    });
  });

  it("NATS runs with infra/nats-auth.conf; each service connects as its own user, passwords only from the environment (no default)", () => {
    const auth = readFileSync(file("infra/nats-auth.conf"), "utf8");
    const users = [...auth.matchAll(/user: (\w+), password: \$FULCRUM_NATS_(\w+)_PASSWORD/g)].map((m) => {
      expect(m[2], `user ${m[1]}`).toBe(m[1]!.toUpperCase());
      return m[1]!;
    });
    expect(users.sort()).toEqual(["gateway", "launcher", "monitor", "optimizer", "predictor", "stage"]);
    expect(readFileSync(file("infra/nats.conf"), "utf8")).toMatch(/^include \.\/nats-auth\.conf$/m);
    const nats = base.services.nats;
    expect(nats.volumes).toContain("./infra/nats-auth.conf:/etc/nats/nats-auth.conf:ro");
    const required = (v: string): RegExpMatchArray | null => /^\$\{(FULCRUM_NATS_[A-Z]+_PASSWORD):\?.+\}$/.exec(v);
    for (const u of users) {
      const key = `FULCRUM_NATS_${u.toUpperCase()}_PASSWORD`;
      expect(required(nats.environment[key] ?? "")?.[1], `nats: ${key}`).toBe(key);
    }
    const userOf: Record<string, string> = { "stage-0": "stage", "stage-1": "stage", monitor: "monitor", predictor: "predictor", optimizer: "optimizer", gateway: "gateway" };
    for (const s of FULCRUM) {
      const env = base.services[s].environment as Record<string, string>;
      expect(env.NATS_USER, s).toBe(userOf[s]);
      expect(required(env.NATS_PASSWORD ?? "")?.[1], s).toBe(`FULCRUM_NATS_${userOf[s]!.toUpperCase()}_PASSWORD`);
    }
  });

  it("the gateway's accuracies are the optimizer spec's", () => {
    const spec = yaml("services/optimizer/examples/fashion.yaml");
    const gateway = yaml("infra/compose/gateway.yaml");
    expect(gateway.pipelines[0].accuracies).toEqual(Object.fromEntries(spec.stages[0].variants.map((v: { name: string; accuracy: number }) => [v.name, v.accuracy])));
    expect(gateway.pipelines[0].sloMs).toBe(spec.sloMs);
  });
});
