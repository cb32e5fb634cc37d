/**
 * rclnodejs 2.2's REAL JavaScript (the package entry, dist/index.js, which bundles lib/: index.js
 * signal handling, context.js, node.js, parameter.js, parameter_service.js, time_source.js,
 * clock.js, publisher.js, subscription.js, service.js, client.js, timer.js) running over a
 * recording stand-in for its native addon, so the adapter meets the library's own code here,
 * where librcl does not exist.
 *
 * How: rclnodejs loads its addon through `require('bindings')('rclnodejs')` (lib/native_loader.js,
 * after its prebuilt lookup, which needs ROS_DISTRO, has found nothing). Module._load answers that
 * require with the stand-in below. Everything above the addon is the library's unchanged code.
 *
 * What the stand-in does is what src/*.cpp of rclnodejs does, reduced to one process:
 * - rcl_node_bindings.cpp GetParameterOverrides: rcl's parsed `-p` and `--params-file` arguments
 *   as [{name, parameters: [{name, type, value}]}], node keys as written in the file (rcl keeps
 *   them so; rclcpp's parameter_map.cpp adds the leading slash itself), integers as JS numbers;
 * - executor.cpp + the ShadowNode: while a node spins, its ready handles are handed to the JS
 *   node's execute() (one take per ready entity per round), on the main thread;
 * - rcl name resolution for topics and services (~/, relative, namespaces);
 * - rcl clocks: ROS time follows the override set by TimeSource when use_sim_time is on.
 * Messages: the generated wrappers (generated/<pkg>/*.js) build ref-napi structs in native
 * memory, which needs the real addon. They are replaced by PlainMessage classes with the same
 * public surface (type(), constructor from a plain object, serialize, toRawROS, deserialize,
 * toPlainObject, destroyRawROS), passing plain objects; the wire format is not exercised.
 */
import { existsSync } from "node:fs";
import fs from "node:fs";
import Module from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/**
 * Where rclnodejs's JavaScript is: `npm run typecheck:ros` installs it (--ignore-scripts) into
 * .typecheck-ros/; an `npm install --ignore-scripts` of the optional dependency works as well.
 * The tests need only its JavaScript, never its addon or generated messages.
 */
export const RCLNODEJS_DIR =
  [join(ROOT, ".typecheck-ros", "node_modules", "rclnodejs"), join(ROOT, "node_modules", "rclnodejs")].find((dir) => existsSync(join(dir, "dist", "index.js"))) ??
  join(ROOT, ".typecheck-ros", "node_modules", "rclnodejs");
export const rclnodejsAvailable = existsSync(join(RCLNODEJS_DIR, "dist", "index.js"));

type Plain = Record<string, unknown>;
interface Handle { kind: string; released: boolean; release(): void; [key: string]: unknown }

// ---------- messages ----------

/** Defaults of the rcl_interfaces responses rclnodejs fills from `response.template` (parameter_service.js). */
const RESPONSE_DEFAULTS: Record<string, () => Plain> = {
  "rcl_interfaces/srv/ListParameters": () => ({ result: { names: [], prefixes: [] } }),
  "rcl_interfaces/srv/DescribeParameters": () => ({ descriptors: [] }),
  "rcl_interfaces/srv/GetParameters": () => ({ values: [] }),
  "rcl_interfaces/srv/SetParameters": () => ({ results: [] }),
  "rcl_interfaces/srv/GetParameterTypes": () => ({ types: [] }),
  "rcl_interfaces/srv/SetParametersAtomically": () => ({ result: { successful: false, reason: "" } }),
};

function clone<T>(value: T): T {
  return structuredClone(value);
}

function messageClass(fullName: string, defaults: () => Plain = () => ({})) {
  const [pkgName, subFolder, interfaceName] = fullName.split("/") as [string, string, string];
  class PlainMessage {
    [field: string]: unknown;
    constructor(init?: unknown) {
      Object.assign(this, defaults());
      if (init && typeof init === "object") Object.assign(this, clone(init instanceof PlainMessage ? init.toPlainObject() : init));
    }
    static type() {
      return { pkgName, subFolder, interfaceName };
    }
    static destroyRawROS(): void {}
    serialize(): Plain {
      return this.toPlainObject();
    }
    toRawROS(): { value?: Plain } {
      const raw = {};
      Object.defineProperty(this, "__raw", { value: raw, configurable: true });
      return raw;
    }
    get refObject(): { value?: Plain } {
      return (this as unknown as { __raw: { value?: Plain } }).__raw;
    }
    deserialize(raw: { value?: Plain }): void {
      Object.assign(this, clone(raw.value ?? {}));
    }
    toPlainObject(): Plain {
      return clone({ ...this }) as Plain;
    }
  }
  return PlainMessage;
}

function interfaceFromGeneratedPath(file: string): string | undefined {
  const match = /([A-Za-z0-9_]+)__(msg|srv|action)__([A-Za-z0-9_]+)\.js$/.exec(file);
  return match ? `${match[1]}/${match[2]}/${match[3]}` : undefined;
}

function interfaceClass(fullName: string) {
  if (fullName.includes("/srv/")) {
    const service = messageClass(fullName) as unknown as { Request: unknown; Response: unknown };
    service.Request = messageClass(`${fullName}_Request`);
    service.Response = messageClass(`${fullName}_Response`, RESPONSE_DEFAULTS[fullName]);
    return service;
  }
  return messageClass(fullName);
}

// ---------- rcl's parameter overrides ----------

/** lib/clock_type.js */
const ROS_TIME = 1;

const PARAMETER = { BOOL: 1, INTEGER: 2, DOUBLE: 3, STRING: 4, BOOL_ARRAY: 6, INTEGER_ARRAY: 7, DOUBLE_ARRAY: 8, STRING_ARRAY: 9 } as const;

/** rcl_yaml_param_parser's typing of one value, as rcl_node_bindings.cpp wrapParameters hands it over. */
function rclValue(value: unknown): { type: number; value: unknown } | undefined {
  if (typeof value === "boolean") return { type: PARAMETER.BOOL, value };
  if (typeof value === "number") return { type: Number.isInteger(value) ? PARAMETER.INTEGER : PARAMETER.DOUBLE, value };
  if (typeof value === "string") return { type: PARAMETER.STRING, value };
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((v) => typeof v === "boolean")) return { type: PARAMETER.BOOL_ARRAY, value };
    if (value.every((v) => typeof v === "string")) return { type: PARAMETER.STRING_ARRAY, value };
    if (value.every((v) => typeof v === "number" && Number.isInteger(v))) return { type: PARAMETER.INTEGER_ARRAY, value };
    if (value.every((v) => typeof v === "number")) return { type: PARAMETER.DOUBLE_ARRAY, value };
  }
  return undefined;
}

function flattenParams(prefix: string, value: unknown, out: { name: string; type: number; value: unknown }[]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flattenParams(prefix ? `${prefix}.${key}` : key, inner, out);
    return;
  }
  const typed = rclValue(value);
  if (typed) out.push({ name: prefix, ...typed });
}

/** What rcl_arguments_get_param_overrides yields for an argv (later files and `-p` update earlier entries). */
export function rclParameterOverrides(argv: readonly string[]): { name: string; parameters: { name: string; type: number; value: unknown }[] }[] | undefined {
  const nodes = new Map<string, Map<string, { name: string; type: number; value: unknown }>>();
  const add = (node: string, params: { name: string; type: number; value: unknown }[]) => {
    const entry = nodes.get(node) ?? new Map();
    nodes.set(node, entry);
    for (const p of params) entry.set(p.name, p);
  };
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--ros-args") inRos = true;
    else if (arg === "--") inRos = false;
    else if (inRos && arg === "--params-file") {
      const document = parseYaml(fs.readFileSync(argv[++i]!, "utf8")) as Record<string, { ros__parameters?: unknown }>;
      for (const [key, section] of Object.entries(document ?? {})) {
        const params: { name: string; type: number; value: unknown }[] = [];
        flattenParams("", section?.ros__parameters, params);
        add(key, params);
      }
    } else if (inRos && (arg === "-p" || arg === "--param")) {
      const text = argv[++i]!;
      const at = text.indexOf(":=");
      const params: { name: string; type: number; value: unknown }[] = [];
      flattenParams(text.slice(0, at), parseYaml(text.slice(at + 2)), params);
      add("/**", params);
    }
  }
  if (nodes.size === 0) return undefined;
  return [...nodes].map(([name, params]) => ({ name, parameters: [...params.values()] }));
}

// ---------- the addon stand-in ----------

export interface StubBinding {
  /** Every call into the addon, in order: [function name, ...arguments]. */
  readonly calls: [string, ...unknown[]][];
  /** Messages published per resolved topic. */
  readonly published: Map<string, Plain[]>;
  /** Queues a message for every subscription of the topic, as if another process had published it. */
  inject(topic: string, message: Plain): void;
  /** Messages taken by subscriptions per topic (what rcl handed to the program). */
  readonly taken: Map<string, number>;
  /** Calls a service by its resolved name as another process would; resolves with the response. */
  callService(service: string, request: Plain): Promise<Plain>;
  /** Exceptions thrown by the JS node's execute() (callbacks run inside it). */
  readonly errors: unknown[];
  /** Forgets the recorded calls, messages and counts. */
  reset(): void;
}

interface RclnodejsStubbed {
  /** The rclnodejs module as `import("rclnodejs")` gives it (default export). */
  readonly rcl: Record<string, unknown> & { shutdownAll(): void; isShutdown(): boolean; removeSignalHandlers(): void };
  readonly binding: StubBinding;
  /** rclnodejs's SIGINT handler, installed by its index.js at import. */
  readonly sigintHandler: (...args: unknown[]) => void;
}

function createBinding(missingTypes: readonly string[]) {
  const calls: [string, ...unknown[]][] = [];
  const errors: unknown[] = [];
  const published = new Map<string, Plain[]>();
  const taken = new Map<string, number>();
  const subscriptions: Handle[] = [];
  const services: Handle[] = [];
  const clients: Handle[] = [];
  const spinning = new Set<{ execute(handles: unknown[]): void; _timers: { handle: unknown }[]; _subscriptions: { handle: unknown }[]; _services: { handle: unknown }[]; _clients: { handle: unknown }[] }>();
  let contextArgv: string[] = [];
  let sequence = 0;
  const outsideClients = new Map<number, (response: Plain) => void>();

  /** rcl_handle.cpp: releasing a node's handle releases the handles created under it. */
  const handle = (kind: string, fields: Record<string, unknown> = {}, parent?: Handle): Handle => {
    const created: Handle = {
      kind, released: false, children: [] as Handle[], ...fields,
      release() {
        this.released = true;
        for (const child of this["children"] as Handle[]) child.release();
      },
    };
    if (parent) (parent["children"] as Handle[]).push(created);
    return created;
  };
  const ns = (node: Handle) => node["namespace"] as string;
  const fqn = (node: Handle) => (ns(node) === "/" ? `/${node["name"] as string}` : `${ns(node)}/${node["name"] as string}`);
  const remaps = () => {
    const out = new Map<string, string>();
    for (let i = 0; i < contextArgv.length; i++) {
      if ((contextArgv[i] === "-r" || contextArgv[i] === "--remap") && contextArgv[i + 1]) {
        const [from, to] = contextArgv[i + 1]!.split(":=") as [string, string];
        out.set(from, to);
      }
    }
    return out;
  };
  /** rcl_expand_topic_name + rcl_remap_topic_name, for the forms this package uses. */
  const resolveName = (node: Handle, name: string): string => {
    const remapped = remaps().get(name) ?? name;
    if (remapped.startsWith("/")) return remapped;
    if (remapped.startsWith("~/")) return `${fqn(node)}/${remapped.slice(2)}`;
    return ns(node) === "/" ? `/${remapped}` : `${ns(node)}/${remapped}`;
  };
  const clockNow = (clock: Handle): bigint =>
    clock["type"] === ROS_TIME && clock["overrideEnabled"] ? (clock["override"] as bigint) : BigInt(Date.now()) * 1_000_000n;

  const pump = () => {
    if (spinning.size === 0) return;
    for (const node of [...spinning]) {
      try {
        const ready: unknown[] = [];
        for (const t of node._timers) if (isTimerReady(t.handle as Handle)) ready.push(t.handle);
        for (const s of node._subscriptions) if (((s.handle as Handle)["queue"] as Plain[]).length > 0) ready.push(s.handle);
        for (const s of node._services) if (((s.handle as Handle)["requests"] as unknown[]).length > 0) ready.push(s.handle);
        for (const c of node._clients) if (((c.handle as Handle)["responses"] as unknown[]).length > 0) ready.push(c.handle);
        if (ready.length > 0 && spinning.has(node)) node.execute(ready);
      } catch (error) {
        // executor.cpp surfaces a throwing callback as an uncaught exception; kept here for the test to see.
        errors.push(error);
      }
    }
    setImmediate(pump);
  };
  const isTimerReady = (timer: Handle) => !timer["canceled"] && clockNow(timer["clock"] as Handle) >= (timer["next"] as bigint);

  class ShadowNode {
    start(_context: unknown, _timeout: number) {
      calls.push(["ShadowNode.start"]);
      const wasIdle = spinning.size === 0;
      spinning.add(this as never);
      if (wasIdle) setImmediate(pump);
    }
    stop() {
      calls.push(["ShadowNode.stop"]);
      spinning.delete(this as never);
    }
    spinOnce() {}
    syncHandles() {}
  }

  const functions: Record<string, (...args: never[]) => unknown> = {
    createContext: () => handle("context", { valid: false }),
    init: (context: Handle, argv: string[]) => { context["valid"] = true; contextArgv = [...argv]; },
    isContextValid: (context: Handle) => Boolean(context["valid"]),
    shutdown: (context: Handle) => { context["valid"] = false; },
    getDomainId: () => 0,
    createNode: (name: string, namespace: string) => {
      const args = remaps();
      return handle("node", { name: args.get("__node") ?? name, namespace: args.get("__ns") ?? (namespace === "" ? "/" : namespace) });
    },
    getNodeName: (node: Handle) => node["name"],
    getNamespace: (node: Handle) => node["namespace"],
    getFullyQualifiedName: (node: Handle) => fqn(node),
    getNodeLoggerName: (node: Handle) => `${(node["namespace"] as string).slice(1).replace(/\//g, ".")}${ns(node) === "/" ? "" : "."}${node["name"] as string}`,
    getParameterOverrides: () => rclParameterOverrides(contextArgv),
    resolveName: (node: Handle, name: string) => resolveName(node, name),
    expandTopicName: (name: string) => name,
    createPublisher: (node: Handle, _pkg: string, _sub: string, _name: string, topic: string) => handle("publisher", { topic: resolveName(node, topic) }, node),
    getPublisherTopic: (publisher: Handle) => publisher["topic"],
    publish: (publisher: Handle, message: Plain) => {
      const topic = publisher["topic"] as string;
      published.set(topic, [...(published.get(topic) ?? []), message]);
      for (const s of subscriptions) if (!s.released && s["topic"] === topic) (s["queue"] as Plain[]).push(clone(message));
    },
    getSubscriptionCount: (publisher: Handle) => subscriptions.filter((s) => !s.released && s["topic"] === publisher["topic"]).length,
    createSubscription: (node: Handle, _pkg: string, _sub: string, _name: string, topic: string) => {
      const s = handle("subscription", { topic: resolveName(node, topic), queue: [] }, node);
      subscriptions.push(s);
      return s;
    },
    getSubscriptionTopic: (s: Handle) => s["topic"],
    rclTake: (s: Handle, raw: { value?: Plain }) => {
      const next = (s["queue"] as Plain[]).shift();
      if (!next) return false;
      raw.value = next;
      taken.set(s["topic"] as string, (taken.get(s["topic"] as string) ?? 0) + 1);
      return true;
    },
    createService: (node: Handle, name: string) => {
      const s = handle("service", { name: resolveName(node, name), requests: [] }, node);
      services.push(s);
      return s;
    },
    getServiceServiceName: (s: Handle) => s["name"],
    // rcl_type_description_service_bindings.cpp (Jazzy and later): rcl's ~/get_type_description service.
    initTypeDescriptionService: (node: Handle) => {
      const s = handle("service", { name: `${fqn(node)}/get_type_description`, requests: [] }, node);
      services.push(s);
      return s;
    },
    rclTakeRequest: (s: Handle, _node: Handle, raw: { value?: Plain }) => {
      const next = (s["requests"] as { header: unknown; request: Plain }[]).shift();
      if (!next) return undefined;
      raw.value = next.request;
      return next.header;
    },
    sendResponse: (_s: Handle, response: Plain, header: { client?: Handle; seq: number }) => {
      if (header.client) (header.client["responses"] as unknown[]).push({ seq: header.seq, response: clone(response) });
      else outsideClients.get(header.seq)?.(clone(response));
    },
    createClient: (node: Handle, name: string) => {
      const c = handle("client", { name: resolveName(node, name), responses: [] }, node);
      clients.push(c);
      return c;
    },
    getClientServiceName: (c: Handle) => c["name"],
    serviceServerIsAvailable: (_node: Handle, c: Handle) => services.some((s) => !s.released && s["name"] === c["name"]),
    sendRequest: (c: Handle, request: Plain) => {
      const seq = ++sequence;
      const server = services.find((s) => !s.released && s["name"] === c["name"]);
      if (server) (server["requests"] as unknown[]).push({ header: { client: c, seq }, request: clone(request) });
      return seq;
    },
    rclTakeResponse: (c: Handle, raw: { value?: Plain }) => {
      const next = (c["responses"] as { seq: number; response: Plain }[]).shift();
      if (!next) return undefined;
      raw.value = next.response;
      return next.seq;
    },
    createClock: (type: number) => handle("clock", { type, overrideEnabled: false, override: 0n }),
    clockGetNow: (clock: Handle) => clockNow(clock),
    getRosTimeOverrideIsEnabled: (clock: Handle) => clock["overrideEnabled"],
    setRosTimeOverrideIsEnabled: (clock: Handle, enabled: boolean) => { clock["overrideEnabled"] = enabled; },
    setRosTimeOverride: (clock: Handle, time: Handle) => { clock["override"] = time["ns"]; },
    createTimePoint: (ns: bigint | string) => handle("time", { ns: BigInt(ns) }),
    getNanoseconds: (time: Handle) => time["ns"],
    createDuration: (ns: bigint | string) => handle("duration", { ns: BigInt(ns) }),
    getDurationNanoseconds: (d: Handle) => d["ns"],
    createTimer: (clock: Handle, _context: Handle, period: bigint, autostart: boolean) =>
      handle("timer", { clock, period, next: clockNow(clock) + period, canceled: !autostart }),
    isTimerReady: (t: Handle) => isTimerReady(t),
    isTimerCanceled: (t: Handle) => t["canceled"],
    cancelTimer: (t: Handle) => { t["canceled"] = true; },
    callTimerWithInfo: (t: Handle) => {
      const now = clockNow(t["clock"] as Handle);
      const expected = t["next"] as bigint;
      const period = t["period"] as bigint;
      t["next"] = expected + period * ((now - expected) / period + 1n);
      return { expectedCallTime: expected, actualCallTime: now };
    },
    getRMWImplementationIdentifier: () => "rmw_stub",
  };

  const binding = new Proxy(functions, {
    get(target, key) {
      if (key === "ShadowNode") return ShadowNode;
      if (typeof key !== "string") return undefined;
      const fn = target[key];
      // Addon functions the package's paths do not need (logging, rosout, graph queries) are recorded and inert.
      return (...args: unknown[]) => {
        calls.push([key, ...args]);
        return fn ? (fn as (...a: unknown[]) => unknown)(...args) : undefined;
      };
    },
  });

  const api: StubBinding = {
    calls,
    errors,
    published,
    taken,
    inject(topic, message) {
      for (const s of subscriptions) if (!s.released && s["topic"] === topic) (s["queue"] as Plain[]).push(clone(message));
    },
    callService(name, request) {
      const server = services.find((s) => !s.released && s["name"] === name);
      if (!server) return Promise.reject(new Error(`no service ${name}`));
      const seq = ++sequence;
      return new Promise((done) => {
        outsideClients.set(seq, done);
        (server["requests"] as unknown[]).push({ header: { seq }, request: clone(request) });
      });
    },
    reset() {
      calls.length = 0;
      errors.length = 0;
      published.clear();
      taken.clear();
    },
  };
  return { binding, api, missingTypes };
}

/**
 * Loads rclnodejs's package entry over the stand-in. Once per test file (the module and its
 * SIGINT handler are process-wide, as in a node executable).
 */
export async function loadRclnodejsOverStub(options: { missingTypes?: readonly string[] } = {}): Promise<RclnodejsStubbed> {
  const { binding, api } = createBinding(options.missingTypes ?? []);
  const generatedRoot = join(RCLNODEJS_DIR, "generated") + sep;
  const missing = new Set(options.missingTypes ?? []);
  const moduleWithLoad = Module as unknown as { _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function (request, parent, isMain) {
    if (request === "bindings" && parent?.filename?.startsWith(RCLNODEJS_DIR)) return () => binding;
    if (request.startsWith(generatedRoot)) {
      const name = interfaceFromGeneratedPath(request);
      if (name && !missing.has(name)) return interfaceClass(name);
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  // lib/interface_loader.js checks fs.existsSync before it requires a generated wrapper; the
  // stand-ins exist for every interface except the ones a test declares missing.
  const originalExists = fs.existsSync;
  fs.existsSync = ((path: fs.PathLike) => {
    const text = String(path);
    if (text.startsWith(generatedRoot)) {
      const name = interfaceFromGeneratedPath(text);
      if (name) return !missing.has(name);
    }
    return originalExists(path);
  }) as typeof fs.existsSync;
  const before = new Set(process.listeners("SIGINT"));
  const imported = (await import(pathToFileURL(join(RCLNODEJS_DIR, "dist", "index.js")).href)) as { default: RclnodejsStubbed["rcl"] };
  const added = process.listeners("SIGINT").filter((l) => !before.has(l));
  const sigintHandler = added[0] as RclnodejsStubbed["sigintHandler"];
  return { rcl: imported.default, binding: api, sigintHandler };
}

/** Resolves once `condition` holds; the stand-in executor runs on setImmediate, so poll. */
export async function until(condition: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
