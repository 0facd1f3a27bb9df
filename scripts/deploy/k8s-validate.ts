import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/** One problem of one manifest document. */
export interface ManifestIssue {
  /** `<file>#<index> <Kind>/<name>`. */
  readonly document: string;
  /** JSON pointer of the bad field (`/spec/template/spec/containers/0/ports/0/containerPort`). */
  readonly path: string;
  readonly message: string;
}

/** A parsed manifest document and where it came from. */
export interface ManifestDocument {
  readonly file: string;
  readonly index: number;
  readonly object: Record<string, unknown>;
}

interface Model {
  validate(this: unknown): void;
}

interface AjvError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Every YAML document of every `.yaml`/`.yml` file in `dir` (kustomization.yaml excluded: it is kustomize's, not the API's). */
export function loadManifests(dir: string): ManifestDocument[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${file}#${index}: YAML error: ${doc.errors[0]!.message}`);
      return { file, index, object: doc.toJS() as Record<string, unknown> };
    }),
  );
}

function describe(d: ManifestDocument): string {
  const name = (d.object.metadata as { name?: string } | undefined)?.name ?? "(no name)";
  return `${d.file}#${d.index} ${String(d.object.kind)}/${name}`;
}

/**
 * Wraps `value` so that reading a property is recorded: after the schema validator ran on it,
 * every key it never read is a field the schema does not know (the Kubernetes API server rejects
 * those under strict field validation, which kubectl uses by default).
 */
function tracked(value: unknown, path: string, seen: Set<string>, all: Set<string>): unknown {
  if (value === null || typeof value !== "object") return value;
  for (const key of Object.keys(value)) all.add(`${path}/${key}`);
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || !Object.hasOwn(target, key)) return v;
      seen.add(`${path}/${key}`);
      return tracked(v, `${path}/${key}`, seen, all);
    },
  });
}

/**
 * Validates one document against the Kubernetes API schema of its `apiVersion`/`kind`
 * (kubernetes-models: the OpenAPI schemas of the Kubernetes API, compiled with ajv), and reports
 * fields the schema does not define. Returns every issue (empty when valid).
 */
export async function validateManifest(d: ManifestDocument): Promise<ManifestIssue[]> {
  const { apiVersion, kind } = d.object as { apiVersion?: unknown; kind?: unknown };
  const document = describe(d);
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9./]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
    return [{ document, path: "", message: `apiVersion and kind are required strings (got ${JSON.stringify(apiVersion)}, ${JSON.stringify(kind)})` }];
  }
  let ctor: { prototype: Model };
  try {
    ctor = ((await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, { prototype: Model }>)[kind]!;
    if (!ctor) throw new Error("no such export");
  } catch {
    return [{ document, path: "/kind", message: `${apiVersion} ${kind} is not a Kubernetes API kind known to kubernetes-models` }];
  }
  const seen = new Set<string>();
  const all = new Set<string>();
  try {
    ctor.prototype.validate.call(tracked(d.object, "", seen, all));
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!errors) throw err;
    return errors.map((e) => ({
      document,
      path: `${e.instancePath ?? ""}${e.params?.missingProperty ? `/${String(e.params.missingProperty)}` : ""}`,
      message: e.message ?? "invalid",
    }));
  }
  return [...all].filter((p) => !seen.has(p)).map((path) => ({ document, path, message: "unknown field (not in the Kubernetes API schema)" }));
}

/** `issues` as one line each: `<document>: <path>: <message>`. */
export function formatIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((i) => `${i.document}: ${i.path || "(document)"}: ${i.message}`).join("\n");
}
