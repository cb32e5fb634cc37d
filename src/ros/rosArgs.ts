import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { ParameterValue } from "./GraphPort.js";

/**
 * The ROS 2 command-line arguments a node understands, parsed the way rcl does:
 *   --ros-args -r __node:=NAME -r __ns:=NS -r from:=to -p name:=value
 *              --params-file FILE --log-level LEVEL [--]
 * Everything outside the --ros-args ... -- span is left for the program.
 */
export interface RosArguments {
  /** Arguments that were not ROS arguments, in order. */
  readonly programArgs: string[];
  readonly nodeName?: string;
  readonly namespace?: string;
  /** Topic/service remappings (without __node/__ns). */
  readonly remappings: Record<string, string>;
  /** `-p` values for every node (these win over params files, as in rcl). */
  readonly parameters: Record<string, ParameterValue>;
  /** `-p node:name:=value` values, by node name: only that node gets them. */
  readonly nodeParameters: Record<string, Record<string, ParameterValue>>;
  readonly paramsFiles: string[];
  readonly logLevel?: string;
}

export class RosArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RosArgumentError";
  }
}

/** Parses a value the way ROS parses `-p name:=value`: as a YAML scalar or flow sequence. */
export function parseParameterLiteral(text: string): ParameterValue {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return text;
  }
  if (value === null || value === undefined) return text;
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) return value as number[];
  throw new RosArgumentError(`parameter value ${text} is not a bool, number, string, or list of strings or numbers`);
}

/** rcl arguments that take a value and concern rcl alone (logging, security): passed through, not read here. */
const RCL_FLAGS_WITH_VALUE = new Set(["-e", "--enclave", "--log-config-file", "--log-file-name"]);
/** rcl's logging switches (rcl/arguments.h, Humble and Jazzy): passed through, not read here. */
const RCL_FLAGS = new Set([
  "--enable-rosout-logs", "--disable-rosout-logs",
  "--enable-stdout-logs", "--disable-stdout-logs",
  "--enable-external-lib-logs", "--disable-external-lib-logs",
]);

function splitAssignment(flag: string, text: string | undefined): [string, string] {
  if (text === undefined) throw new RosArgumentError(`${flag} needs an argument of the form name:=value`);
  const at = text.indexOf(":=");
  if (at <= 0) throw new RosArgumentError(`${flag} ${text}: expected name:=value`);
  return [text.slice(0, at), text.slice(at + 2)];
}

export function parseRosArguments(argv: readonly string[]): RosArguments {
  const programArgs: string[] = [];
  const remappings: Record<string, string> = {};
  const parameters: Record<string, ParameterValue> = {};
  const nodeParameters: Record<string, Record<string, ParameterValue>> = {};
  const paramsFiles: string[] = [];
  let nodeName: string | undefined;
  let namespace: string | undefined;
  let logLevel: string | undefined;
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!inRos) {
      if (arg === "--ros-args") inRos = true;
      else programArgs.push(arg);
      continue;
    }
    switch (arg) {
      case "--":
        inRos = false;
        break;
      case "--ros-args":
        break;
      case "-r":
      case "--remap": {
        const [from, to] = splitAssignment(arg, argv[++i]);
        if (from === "__node" || from === "__name") nodeName = to;
        else if (from === "__ns") namespace = to;
        else remappings[from] = to;
        break;
      }
      case "-p":
      case "--param": {
        const [name, value] = splitAssignment(arg, argv[++i]);
        // "node_name:param:=value" targets one node (rcl's syntax); "param:=value" targets all.
        const colon = name.lastIndexOf(":");
        if (colon < 0) {
          parameters[name] = parseParameterLiteral(value);
        } else {
          const node = name.slice(0, colon).replace(/^\/+/, "");
          (nodeParameters[node] ??= {})[name.slice(colon + 1)] = parseParameterLiteral(value);
        }
        break;
      }
      case "--params-file": {
        const file = argv[++i];
        if (!file) throw new RosArgumentError("--params-file needs a file path");
        paramsFiles.push(file);
        break;
      }
      case "--log-level": {
        const level = argv[++i];
        if (!level) throw new RosArgumentError("--log-level needs a level (debug, info, warn, error, fatal)");
        logLevel = level.includes(":=") ? level.slice(level.indexOf(":=") + 2) : level;
        break;
      }
      default:
        if (RCL_FLAGS_WITH_VALUE.has(arg)) {
          if (argv[++i] === undefined) throw new RosArgumentError(`${arg} needs a value`);
          break;
        }
        if (RCL_FLAGS.has(arg)) break;
        throw new RosArgumentError(`unknown ROS argument ${arg}; see \`ros2 run --help\` or pass program arguments before --ros-args`);
    }
  }
  return {
    programArgs,
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    remappings,
    parameters,
    nodeParameters,
    paramsFiles,
    ...(logLevel !== undefined ? { logLevel } : {}),
  };
}

/**
 * Nested keys become dotted names. A value the port has no type for (a bool array, null, a mixed
 * or nested list) is skipped, not fatal: a robot-wide section carries parameters of other nodes
 * (rcl accepts them all), and one of them must not stop this node. A node that declares such a
 * parameter keeps its default.
 */
function flatten(prefix: string, value: unknown, out: Record<string, ParameterValue>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(prefix ? `${prefix}.${key}` : key, inner, out);
    return;
  }
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "string") out[prefix] = value;
  else if (Array.isArray(value) && value.length > 0 && (value.every((v) => typeof v === "string") || value.every((v) => typeof v === "number"))) {
    out[prefix] = value as string[] | number[];
  }
}

/**
 * How specific a params-file key is: `/**` (every node) < other wildcard patterns (`/**\/dialogue`,
 * `/*\/dialogue`) < a node name without wildcards (`dialogue`, `/dialogue`, `/robot1/dialogue`).
 * Within one file the more specific section wins whatever the document order (launch_ros: "fully
 * qualified node names override wildcards"); across files the later file wins (startNodeProgram
 * applies them in command-line order, then `-p`).
 */
export function paramsKeySpecificity(key: string): 0 | 1 | 2 {
  if (key === "/**" || key === "**") return 0;
  return key.includes("*") ? 1 : 2;
}

/** Does a params-file key (`/**`, `/ns/node`, `node`, `/**\/node`) apply to this node? */
export function paramsKeyMatches(key: string, nodeName: string, namespace: string): boolean {
  const fqn = namespace === "/" ? `/${nodeName}` : `${namespace}/${nodeName}`;
  if (key === "/**" || key === "**") return true;
  if (key === nodeName || key === fqn || key === `/${nodeName}` && namespace === "/") return true;
  const pattern = new RegExp(
    "^" +
      (key.startsWith("/") ? key : `/${key}`)
        .split("/")
        .map((part) => (part === "**" ? "(?:/[^/]+)*" : part === "*" ? "/[^/]+" : `/${part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")}`))
        .slice(1)
        .join("") +
      "$",
  );
  return pattern.test(fqn);
}

/**
 * Reads a ROS 2 params file and returns the parameters for one node, with nested
 * keys flattened to dotted names (persona: {warmth: 0.9} → persona.warmth); where several
 * sections match, the more specific one wins (paramsKeySpecificity).
 */
export function loadParamsFile(file: string, nodeName: string, namespace: string): Record<string, ParameterValue> {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new RosArgumentError(`cannot read params file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new RosArgumentError(`params file ${file} must map node names to {ros__parameters: {...}}`);
  }
  const out: Record<string, ParameterValue> = {};
  const matching = Object.entries(document as Record<string, unknown>)
    .filter(([key]) => paramsKeyMatches(key, nodeName, namespace))
    .sort(([a], [b]) => paramsKeySpecificity(a) - paramsKeySpecificity(b)); // stable: document order within a rank
  for (const [key, section] of matching) {
    const params = (section as Record<string, unknown> | null)?.["ros__parameters"];
    if (params === undefined) throw new RosArgumentError(`params file ${file}: section ${key} has no ros__parameters`);
    if (params !== null) flatten("", params, out);
  }
  return out;
}

/**
 * The command line as handed to rcl_init by the rclnodejs graph: the same arguments without
 * `-p` and `--params-file`. This program resolves parameters itself (loadParamsFile, then `-p`)
 * with ROS's precedence, and the adapter vets each value against its descriptor. Handing them to
 * rcl as well would let rclnodejs 2.2 apply its own, different reading (node.js
 * _getNativeParameterOverrides: only the `/**` and bare-name sections, `/**` first) and validate
 * every section of every file as it creates each node, so one integer array meant for another
 * node stops this one (rclnodejs hands rcl's integers over as numbers, its Parameter wants bigint).
 */
export function withoutParameterArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--ros-args") inRos = true;
    else if (arg === "--") inRos = false;
    else if (inRos && (arg === "-p" || arg === "--param" || arg === "--params-file")) {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
