import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "@fulcrum/core";
import type { inference } from "@fulcrum/proto";
import type { ListeningServer } from "@fulcrum/runtime";
import { PIPELINE_VERSION, type FrontDoor } from "./front-door.js";
import { startRestServer } from "./rest.js";

// An in-process gateway front door with one pipeline "p" (version "1"), so the REST adapter's
// routes, status codes and JSON shapes are checked without stages behind it.
const meta: inference.ModelMetadataResponse = {
  name: "p",
  versions: [PIPELINE_VERSION],
  platform: "fulcrum-pipeline",
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 2] }],
  outputs: [{ name: "logits", datatype: "FP32", shape: [-1, 3] }],
};
const check = (name: string, version?: string): void => {
  if (name !== "p") throw new NotFoundError("pipeline", name, { known: ["p"] });
  if (version !== undefined && version !== PIPELINE_VERSION) throw new NotFoundError('pipeline "p" version', version, { known: [PIPELINE_VERSION] });
};
const door: FrontDoor = {
  async infer(name, req) {
    check(name, req.modelVersion || undefined);
    return { modelName: name, modelVersion: "", id: req.id, parameters: {}, outputs: [{ name: "logits", datatype: "FP32", shape: [1, 1], parameters: {}, contents: undefined }], rawOutputContents: [Buffer.from(new Float32Array([7]).buffer)] };
  },
  async metadata(name, version) {
    check(name, version);
    return meta;
  },
  serverMetadata: () => ({ name: "fulcrum-gateway", version: "0.1.0", extensions: ["fulcrum-pipelines"] }),
  ready: () => true,
  modelReady: (name, version) => name === "p" && (version === undefined || version === PIPELINE_VERSION),
};

let server: ListeningServer;
let base: string;
beforeAll(async () => {
  server = await startRestServer({ ...door, maxBodyBytes: 1 << 20 }, "127.0.0.1", 0);
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

const get = async (path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; allow: string | null }> => {
  const r = await fetch(`${base}${path}`, init);
  return { status: r.status, body: (await r.json()) as Record<string, unknown>, allow: r.headers.get("allow") };
};

describe("gateway OIP REST surface", () => {
  it.each([
    ["/v2", 200, { name: "fulcrum-gateway", version: "0.1.0" }],
    ["/v2/health/live", 200, { live: true }],
    ["/v2/health/ready", 200, { ready: true }],
    ["/v2/models/p", 200, { name: "p", versions: ["1"], platform: "fulcrum-pipeline" }],
    ["/v2/models/p/versions/1", 200, { name: "p", inputs: [{ name: "input", datatype: "FP32", shape: [-1, 2] }] }],
    ["/v2/models/p/ready", 200, { name: "p", ready: true }],
    ["/v2/models/p/versions/1/ready", 200, { ready: true }],
    ["/v2/models/p/versions/2/ready", 503, { ready: false }],
    ["/v2/models/q", 404, { code: "NOT_FOUND", error: 'unknown pipeline "q" (known: p)' }],
    ["/v2/models/p/versions/2", 404, { code: "NOT_FOUND", error: 'unknown pipeline "p" version "2" (known: 1)' }],
    ["/v3", 404, { code: "NOT_FOUND" }],
  ])("GET %s → %i", async (path, status, body) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject(body);
  });

  it("infers on the pipeline and on its version, refuses bad JSON and wrong methods", async () => {
    const body = JSON.stringify({ id: "r1", inputs: [{ name: "input", shape: [1, 2], datatype: "FP32", data: [1, 2] }] });
    for (const path of ["/v2/models/p/infer", "/v2/models/p/versions/1/infer"]) {
      const r = await get(path, { method: "POST", body });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ model_name: "p", id: "r1", outputs: [{ name: "logits", data: [7] }] });
    }
    expect(await get("/v2/models/p/versions/9/infer", { method: "POST", body })).toMatchObject({ status: 404 });
    expect(await get("/v2/models/p/infer", { method: "POST", body: "{nope" })).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT" } });
    expect(await get("/v2/models/p/infer")).toMatchObject({ status: 405, allow: "POST", body: { code: "METHOD_NOT_ALLOWED" } });
    expect(await get("/v2/models/p", { method: "POST", body: "{}" })).toMatchObject({ status: 405, allow: "GET" });
  });
});
