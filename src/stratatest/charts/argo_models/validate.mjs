// Validates Argo Rollouts objects against @kubernetes-models/argo-rollouts (JSON schemas generated from Argo
// Rollouts' Go API types), for stratatest's chart layer. stdin: a JSON array of objects; stdout: a JSON array with,
// per object, {"errors": [...], "unknown": [...]}.
//
// The generated schemas check types, enums and formats but do not refuse unknown fields, and a misspelt field
// (`prePromotionAnalyis`) would be silently dropped by the API server. So every field is also probed: its value is
// replaced by `true`, then by `[[]]`; a field the schema knows rejects at least one of them at its own path, a field
// it does not know accepts both, and is reported unknown.
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";

const MODELS = { Rollout, AnalysisTemplate };
const PROBES = [true, [[]]];

function errorsOf(Model, body) {
  try {
    new Model(body).validate();
    return [];
  } catch (err) {
    if (!Array.isArray(err.errors)) throw err;
    return err.errors.map((e) => ({ path: e.instancePath, message: e.message }));
  }
}

function pointer(path) {
  return path.map((key) => "/" + String(key).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

function* fields(value, path) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* fields(value[i], [...path, i]);
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const here = [...path, key];
      if (!(path.length === 0 && (key === "apiVersion" || key === "kind"))) yield here;
      yield* fields(value[key], here);
    }
  }
}

function replaced(body, path, probe) {
  const copy = structuredClone(body);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = probe;
  return copy;
}

function check(body) {
  const Model = MODELS[body?.kind];
  if (!Model || body.apiVersion !== "argoproj.io/v1alpha1") {
    return { errors: [{ path: "", message: `no model for ${body?.apiVersion} ${body?.kind}` }], unknown: [] };
  }
  const errors = errorsOf(Model, body);
  const unknown = [];
  for (const path of fields(body, [])) {
    const dotted = path.join(".");
    if (unknown.some((parent) => dotted.startsWith(parent + "."))) continue; // only the outermost unknown field
    const at = pointer(path);
    const known = PROBES.some((probe) =>
      errorsOf(Model, replaced(body, path, probe)).some((e) => e.path === at || e.path.startsWith(at + "/")),
    );
    if (!known) unknown.push(dotted);
  }
  return { errors, unknown };
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(check)));
