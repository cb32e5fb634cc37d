#!/usr/bin/env node
/**
 * Standalone mode: the three nodes in one process on the in-process graph, a
 * simulated robot publishing a day of action events, and a console to chat,
 * recall, tune and inspect. `--demo` runs a scripted session and exits.
 */
import { mkdirSync, mkdtempSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { InProcessGraph } from "../ros/inprocess/InProcessGraph.js";
import { toPinoLevel } from "../ros/logger.js";
import { ASSISTANT_NODES } from "../nodes/registry.js";
import { simulateDay } from "../core/sim/SimulatedRobot.js";
import { startNodeProgram } from "./runNode.js";
import { AssistantConsole } from "./console/AssistantConsole.js";
import { parseCommand, CONSOLE_HELP } from "./console/parseCommand.js";
import { runDemo } from "./console/demo.js";
import { standaloneOverrides, prepareStandaloneData } from "./console/standaloneData.js";
import { foxgloveOptionsHelp, splitFoxgloveArgs } from "../foxglove/foxgloveOption.js";
import { ensureDefaultModel } from "./firstRun.js";
import { packageRoot } from "../core/packageRoot.js";

const HELP = `Usage: npm start -- [options] [--ros-args ...]

Runs the embodied assistant without ROS 2: action_log, memory and dialogue on an
in-process graph, a simulated robot publishing a realistic day of action events,
and an interactive console (type "help" at the prompt). Without a terminal,
commands are read line by line from standard input.

Options:
  --demo                 run a scripted session, print what happened, exit 0 (1 on failure)
  --speed N              simulated events per second (default 20; demo 400)
  --actions N            actions in the simulated day (default 120; demo 80)
  --seed N               seed of the simulated day (default 42)
  --no-robot             do not start the simulated robot
  --data-dir DIR         where databases, exports and logs go (default ./var; --demo: a fresh temporary folder)
  --params-file FILE     parameters (default configs/assistant.yaml)
  --offline              do not fetch the default model on first run (run model-free if it is missing)
  --models-file FILE     model registry (default configs/models.yaml; also the dialogue node's models_file)
  --log-level LEVEL      debug | info | warn | error (default info, to DATA_DIR/assistant.log)
  --log-stderr           log to stderr instead of the log file
${foxgloveOptionsHelp(25)}
  -h, --help             this help
  --ros-args ...         ROS arguments as for the node executables (-p name:=value, ...)

${CONSOLE_HELP}`;

interface StartOptions {
  demo: boolean;
  speed: number | undefined;
  actions: number | undefined;
  seed: number;
  robot: boolean;
  dataDir: string;
  paramsFile: string;
  logLevel: string;
  logStderr: boolean;
  offline: boolean;
  modelsFile: string;
  rosArgs: string[];
}

function parseStartArgs(argv: readonly string[]): StartOptions {
  const rosStart = argv.indexOf("--ros-args");
  const own = rosStart >= 0 ? argv.slice(0, rosStart) : argv;
  const options: StartOptions = {
    demo: false, speed: undefined, actions: undefined, seed: 42, robot: true,
    dataDir: "", paramsFile: "configs/assistant.yaml", logLevel: "info", logStderr: false,
    offline: false, modelsFile: "",
    rosArgs: rosStart >= 0 ? argv.slice(rosStart) : [],
  };
  const number = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number >= ${min}, got ${value}`);
    return n;
  };
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    switch (arg) {
      case "--demo": options.demo = true; break;
      case "--speed": options.speed = number(arg, own[++i], 0.1); break;
      case "--actions": options.actions = Math.floor(number(arg, own[++i], 1)); break;
      case "--seed": options.seed = Math.floor(number(arg, own[++i], 0)); break;
      case "--no-robot": options.robot = false; break;
      case "--data-dir": options.dataDir = own[++i] ?? ""; break;
      case "--params-file": options.paramsFile = own[++i] ?? options.paramsFile; break;
      case "--log-level": options.logLevel = own[++i] ?? "info"; break;
      case "--log-stderr": options.logStderr = true; break;
      case "--offline": options.offline = true; break;
      case "--models-file": options.modelsFile = own[++i] ?? ""; break;
      default: throw new Error(`unknown option ${arg}; see npm start -- --help`);
    }
  }
  return options;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { foxglove, rest } = splitFoxgloveArgs(argv);
  const options = parseStartArgs(rest);
  // The demo starts from a clean slate so earlier runs (or older formats) cannot change its script.
  const dataDir = resolve(options.dataDir || (options.demo ? mkdtempSync(join(tmpdir(), "embodied-assistant-demo-")) : "var"));
  mkdirSync(dataDir, { recursive: true });
  await prepareStandaloneData({ print: (line) => console.error(line) });
  const modelsFile = options.modelsFile ? resolve(options.modelsFile) : join(packageRoot(), "configs", "models.yaml");
  await ensureDefaultModel({ modelsFile, offline: options.offline, print: (line) => console.error(line) });

  const logFile = join(dataDir, "assistant.log");
  const graph = new InProcessGraph({
    logLevel: toPinoLevel(options.logLevel),
    logDestination: options.logStderr ? process.stderr : createWriteStream(logFile, { flags: "a" }),
  });
  if (!options.logStderr) console.error(`logs: ${logFile}`);

  const program = await startNodeProgram(
    {
      executable: "start",
      summary: "standalone assistant",
      nodes: ASSISTANT_NODES,
    },
    [...foxglove, "--ros-args", "--params-file", options.paramsFile, ...(options.modelsFile ? ["-p", `dialogue:models_file:=${modelsFile}`] : []), ...options.rosArgs.slice(1)],
    { graph, baseOverrides: standaloneOverrides(dataDir) },
  );

  for (const { name, reason } of program.degraded) console.error(`start: ${name} is not running (the other nodes are): ${reason}`);

  const consoleNode = graph.createNode("assistant_console");
  const output = (line: string) => console.log(line);
  const assistantConsole = new AssistantConsole(graph, consoleNode, { print: output });

  // The day ends now: the action log rejects events stamped in the future.
  const day = simulateDay({ seed: options.seed, actions: options.actions ?? (options.demo ? 80 : 120), endMs: Date.now() });
  let published = 0;
  const robotNode = graph.createNode("sim_robot");
  const robotPublisher = robotNode.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 1000);
  if (options.robot) {
    const perSecond = options.speed ?? (options.demo ? 400 : 20);
    const periodMs = Math.max(1, 1000 / perSecond);
    const perTick = Math.max(1, Math.round(perSecond / 1000));
    const timer = robotNode.createTimer(periodMs, () => {
      for (let i = 0; i < perTick && published < day.length; i++) robotPublisher.publish(day[published++]!);
      if (published >= day.length) timer.cancel();
    });
  }

  const stop = async () => {
    robotNode.destroy();
    consoleNode.destroy();
    await program.stop();
  };

  if (options.demo) {
    const ok = await runDemo({ console: assistantConsole, day, published: () => published, print: output });
    await stop();
    return ok ? 0 : 1;
  }

  if (process.stdin.isTTY) {
    output(`embodied assistant, standalone. The simulated robot is publishing ${day.length} events. Type "help".`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true, prompt: "you> " });
  if (process.stdin.isTTY) rl.prompt();
  for await (const line of rl) {
    const command = parseCommand(line);
    if (command && !(await assistantConsole.run(command))) break;
    if (process.stdin.isTTY) rl.prompt();
  }
  rl.close();
  await stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
