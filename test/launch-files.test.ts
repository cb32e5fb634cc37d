/**
 * launch_ros cannot run here, so this test reads both launch files the way launch would:
 * the .py is executed by python3 against small stand-ins for the launch/launch_ros modules that
 * record every DeclareLaunchArgument and Node, and the .xml is read with Python's XML parser.
 * It fails when a launch file names an executable CMakeLists.txt does not install, a default
 * params or persona file that does not exist, or a node without a section in the params file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGE = "embodied_assistant";
const SHARE = `$(find-pkg-share ${PACKAGE})`;
const EXPECTED_NODES = ["action_log", "memory", "dialogue"];
const EXPECTED_ARGUMENTS = ["namespace", "params_file", "model_path", "persona_file", "log_level"];

const READER = String.raw`
import json, re, sys, types
import xml.etree.ElementTree as ET

SHARE = "$(find-pkg-share embodied_assistant)"

class Sub:
    def render(self, args): raise NotImplementedError

def render(value, args):
    if isinstance(value, Sub): return value.render(args)
    if isinstance(value, (list, tuple)): return "".join(render(v, args) for v in value)
    return value

class FindPackageShare(Sub):
    def __init__(self, package): self.package = package
    def render(self, args): return "$(find-pkg-share %s)" % render(self.package, args)

class PathJoinSubstitution(Sub):
    def __init__(self, parts): self.parts = parts
    def render(self, args): return "/".join(render(p, args) for p in self.parts)

class LaunchConfiguration(Sub):
    def __init__(self, name, default=None): self.name = name
    def render(self, args):
        if self.name not in args: raise KeyError("launch argument %s is used but not declared" % self.name)
        return args[self.name]

class ParameterValue(Sub):
    def __init__(self, value, value_type=None): self.value = value
    def render(self, args): return render(self.value, args)

declared, nodes = [], []

class DeclareLaunchArgument:
    def __init__(self, name, default_value=None, description="", **kw):
        declared.append((name, default_value, description))

class Node:
    def __init__(self, **kw): nodes.append(kw)

class LaunchDescription:
    def __init__(self, entities=()): self.entities = list(entities)

def module(name, **attrs):
    m = types.ModuleType(name); m.__dict__.update(attrs); sys.modules[name] = m

module("launch", LaunchDescription=LaunchDescription)
module("launch.actions", DeclareLaunchArgument=DeclareLaunchArgument)
module("launch.substitutions", LaunchConfiguration=LaunchConfiguration, PathJoinSubstitution=PathJoinSubstitution)
module("launch_ros")
module("launch_ros.actions", Node=Node)
module("launch_ros.parameter_descriptions", ParameterValue=ParameterValue)
module("launch_ros.substitutions", FindPackageShare=FindPackageShare)

def read_py(path):
    scope = {"__name__": "launch_file", "__file__": path}
    exec(compile(open(path).read(), path, "exec"), scope)
    scope["generate_launch_description"]()
    args = {}
    for name, default, _ in declared:
        args[name] = render(default, args) if default is not None else None
    out_nodes = []
    for kw in nodes:
        params = []
        for p in kw.get("parameters", []):
            if isinstance(p, dict): params.append({k: render(v, args) for k, v in p.items()})
            else: params.append({"from": render(p, args)})
        out_nodes.append({
            "package": render(kw.get("package"), args),
            "executable": render(kw.get("executable"), args),
            "name": render(kw.get("name"), args),
            "namespace": render(kw.get("namespace", ""), args),
            "parameters": params,
        })
    return {"arguments": args, "nodes": out_nodes}

def read_xml(path):
    root = ET.parse(path).getroot()
    if root.tag != "launch": raise ValueError("root element must be <launch>")
    args = {}
    def sub(text):
        text = text.replace(SHARE, SHARE)  # kept as is, like the .py rendering
        def var(m):
            if m.group(1) not in args: raise KeyError("launch argument %s is used but not declared" % m.group(1))
            return args[m.group(1)]
        return re.sub(r"\$\(var ([A-Za-z0-9_]+)\)", var, text)
    for a in root.iter("arg"):
        default = a.get("default")
        args[a.get("name")] = sub(default) if default is not None else None
    out_nodes = []
    for n in root.iter("node"):
        params = []
        for p in n.findall("param"):
            if p.get("from") is not None: params.append({"from": sub(p.get("from"))})
            else: params.append({p.get("name"): sub(p.get("value", ""))})
        out_nodes.append({
            "package": n.get("pkg"), "executable": n.get("exec"), "name": n.get("name"),
            "namespace": sub(n.get("namespace", "")), "parameters": params,
        })
    return {"arguments": args, "nodes": out_nodes}

kind, path = sys.argv[1], sys.argv[2]
print(json.dumps(read_py(path) if kind == "py" else read_xml(path)))
`;

interface LaunchNode {
  package: string;
  executable: string;
  name: string;
  namespace: string;
  parameters: Record<string, string>[];
}
interface LaunchSummary {
  arguments: Record<string, string | null>;
  nodes: LaunchNode[];
}

function readLaunch(kind: "py" | "xml", path: string): LaunchSummary {
  const dir = mkdtempSync(join(tmpdir(), "launch-reader-"));
  const script = join(dir, "read_launch.py");
  writeFileSync(script, READER);
  const out = execFileSync("python3", [script, kind, path], { encoding: "utf8" });
  return JSON.parse(out) as LaunchSummary;
}

/** The executables CMakeLists.txt installs to lib/embodied_assistant. */
function installedExecutables(): string[] {
  const cmake = readFileSync(join(ROOT, "CMakeLists.txt"), "utf8");
  const match = /set\(NODE_EXECUTABLES\s+([^)]*)\)/.exec(cmake);
  if (!match?.[1]) throw new Error("CMakeLists.txt has no set(NODE_EXECUTABLES ...)");
  return match[1].trim().split(/\s+/);
}

/** share/embodied_assistant/<dir> comes from <repo>/<dir> for the directories CMake installs. */
function installedShareDirs(): string[] {
  const cmake = readFileSync(join(ROOT, "CMakeLists.txt"), "utf8");
  const dirs: string[] = [];
  for (const m of cmake.matchAll(/install\(DIRECTORY\s+([^)]*?)\s+DESTINATION\s+share\/\$\{PROJECT_NAME\}\s*\)/g)) {
    dirs.push(...(m[1] ?? "").split(/\s+/).filter((d) => !d.startsWith("$") && !d.startsWith('"')));
  }
  return dirs;
}

/** Maps "$(find-pkg-share embodied_assistant)/configs/x.yaml" to the repository file it is installed from. */
function sourceOf(path: string): string | undefined {
  if (!path.startsWith(`${SHARE}/`)) return undefined;
  const relative = path.slice(SHARE.length + 1);
  const top = relative.split("/")[0] ?? "";
  return installedShareDirs().includes(top) ? join(ROOT, relative) : undefined;
}

/** Everything wrong with one launch file; empty when it is consistent with CMake and the configs. */
function launchProblems(summary: LaunchSummary): string[] {
  const problems: string[] = [];
  const installed = installedExecutables();
  for (const name of EXPECTED_ARGUMENTS) {
    if (!(name in summary.arguments)) problems.push(`launch argument ${name} is not declared`);
  }
  const started = summary.nodes.map((n) => n.name).sort();
  if (JSON.stringify(started) !== JSON.stringify([...EXPECTED_NODES].sort())) {
    problems.push(`starts nodes ${started.join(", ")}, expected ${EXPECTED_NODES.join(", ")}`);
  }
  for (const node of summary.nodes) {
    if (node.package !== PACKAGE) problems.push(`node ${node.name}: package ${node.package} is not ${PACKAGE}`);
    if (!installed.includes(node.executable)) {
      problems.push(`node ${node.name}: executable ${node.executable} is not installed by CMakeLists.txt (${installed.join(", ")})`);
    }
    if (node.namespace !== summary.arguments["namespace"]) problems.push(`node ${node.name}: namespace does not follow the namespace argument`);
    const files = node.parameters.filter((p) => "from" in p).map((p) => p["from"]!);
    if (files.length === 0) problems.push(`node ${node.name}: no params file`);
    for (const file of files) {
      const source = sourceOf(file);
      if (!source || !existsSync(source)) {
        problems.push(`node ${node.name}: params file ${file} is not a file CMake installs from this repository`);
        continue;
      }
      const yaml = parseYaml(readFileSync(source, "utf8")) as Record<string, unknown>;
      const section = yaml[`/**/${node.name}`] ?? yaml[node.name] ?? yaml["/**"];
      if (!section || typeof section !== "object" || !("ros__parameters" in section)) {
        problems.push(`node ${node.name}: ${file} has no ros__parameters section for it`);
      }
    }
  }
  const persona = summary.arguments["persona_file"];
  if (persona) {
    const source = sourceOf(persona);
    if (!source || !existsSync(source)) problems.push(`persona_file default ${persona} does not exist in the installed tree`);
  }
  const dialogue = summary.nodes.find((n) => n.name === "dialogue");
  const setOnDialogue = new Set(dialogue?.parameters.flatMap((p) => Object.keys(p).filter((k) => k !== "from")) ?? []);
  for (const name of ["model_path", "persona_file"]) {
    if (!setOnDialogue.has(name)) problems.push(`dialogue does not receive the ${name} launch argument`);
  }
  return problems;
}

const PY = join(ROOT, "launch", "assistant.launch.py");
const XML = join(ROOT, "launch", "assistant.launch.xml");

describe("launch files", () => {
  const py = readLaunch("py", PY);
  const xml = readLaunch("xml", XML);

  it("assistant.launch.py starts the installed executables with existing files", () => {
    expect(launchProblems(py)).toEqual([]);
  });

  it("assistant.launch.xml starts the installed executables with existing files", () => {
    expect(launchProblems(xml)).toEqual([]);
  });

  it("both launch files declare the same arguments with the same defaults", () => {
    expect(xml.arguments).toEqual(py.arguments);
    const shape = (s: LaunchSummary) => s.nodes.map((n) => [n.name, n.executable]).sort();
    expect(shape(xml)).toEqual(shape(py));
  });

  const dialogueSource = join(ROOT, "src", "nodes", "dialogue.ts");
  it.skipIf(!existsSync(dialogueSource))("the dialogue node declares the parameters the launch files set", () => {
    const source = readFileSync(dialogueSource, "utf8");
    for (const name of ["model_path", "persona_file"]) expect(source, `src/nodes/dialogue.ts declares ${name}`).toContain(`"${name}"`);
  });

  it("fails on an executable CMake does not install and on a missing params file", () => {
    const dir = mkdtempSync(join(tmpdir(), "launch-mutant-"));
    const badPy = join(dir, "assistant.launch.py");
    writeFileSync(badPy, readFileSync(PY, "utf8").replace('assistant_node("memory")', 'assistant_node("memory_server")'));
    expect(launchProblems(readLaunch("py", badPy)).join("\n")).toMatch(/executable memory_server is not installed/);

    const badXml = join(dir, "assistant.launch.xml");
    writeFileSync(badXml, readFileSync(XML, "utf8").replace("/configs/assistant.yaml", "/configs/asistant.yaml"));
    expect(launchProblems(readLaunch("xml", badXml)).join("\n")).toMatch(/params file .*asistant\.yaml is not a file/);

    const noPersona = join(dir, "no-persona.xml");
    writeFileSync(noPersona, readFileSync(XML, "utf8").replace("teaching_assistant.yaml", "missing_persona.yaml"));
    expect(launchProblems(readLaunch("xml", noPersona)).join("\n")).toMatch(/persona_file default .* does not exist/);
  });
});
