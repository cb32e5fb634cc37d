import type { ActionEvent } from "../../core/interfaces/messages.generated.js";
import type { AssistantConsole } from "./AssistantConsole.js";
import { parseCommand } from "./parseCommand.js";
import { startOfLocalDay, systemTimeZone } from "../../core/memory/ask/zonedTime.js";

export interface DemoOptions {
  readonly console: AssistantConsole;
  /** The simulated day being published. */
  readonly day: readonly ActionEvent[];
  readonly published: () => number;
  readonly print: (line: string) => void;
  /** How long to wait for the day to flow through action_log into memory (default 60 s). */
  readonly timeoutMs?: number;
  /** The dialogue node's power mode as ~/persona_state last said; absent: no power step. */
  readonly powerMode?: () => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The scripted session that `npm start -- --demo` runs; false when a step failed. */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const { print } = options;
  const failures: string[] = [];
  let captured: string[] = [];
  const capture = (line: string) => {
    captured.push(line);
    print(line);
  };
  const consoleRun = async (line: string): Promise<string[]> => {
    print(`\nyou> ${line}`);
    captured = [];
    const command = parseCommand(line);
    if (command) await options.console.run(command);
    return captured;
  };
  options.console.print = capture;

  const ends = options.day.filter((e) => e.status !== "STARTED" && e.status !== "PROGRESS");
  print(`demo: the simulated robot publishes ${options.day.length} events (${ends.length} actions) on /robot/action_events`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (options.published() < options.day.length && Date.now() < deadline) await sleep(50);
  // Outcomes are committed in batches; give the last batch time to reach memory.
  await sleep(1500);
  print(`demo: published ${options.published()} of ${options.day.length} events`);

  const stats = await consoleRun("stats by=all");
  const total = /n=(\d+)/.exec(stats.join("\n"));
  if (!total || Number(total[1]) !== ends.length) failures.push(`action log holds ${total?.[1] ?? 0} outcomes, expected ${ends.length}`);
  await consoleRun("stats");

  const failedPick = ends.find((e) => e.action === "pick" && e.status === "FAILED");
  const recalled = await consoleRun(`recall what happened with the ${failedPick?.object ?? "cup"}?`);
  if (!recalled.some((l) => /\[.+\]/.test(l))) failures.push("free-text recall returned no episodes");
  if (failedPick) {
    const cue = await consoleRun(`recall action=pick result=FAILED ?object`);
    if (cue.some((l) => /error|could not/.test(l))) failures.push("cue recall failed");
  }
  // Typed questions: answers from stamps and results, checked against the day that was published.
  // "today" is read in the memory's time zone (the system's here); a day run near midnight spans two.
  const midnight = startOfLocalDay(Date.now() / 1000, systemTimeZone());
  const today = ends.filter((e) => e.action === "pick" && e.status === "SUCCEEDED" && e.header.stamp.sec >= midnight).length;
  const count = await consoleRun("ask how many times did you pick something up today?");
  const counted = /count=(\d+)/.exec(count.join("\n"));
  if (!counted || Number(counted[1]) !== today) failures.push(`ask counted ${counted?.[1] ?? "nothing"} successful picks, the day has ${today}`);
  const lastPick = ends.filter((e) => e.action === "pick" && e.status === "SUCCEEDED").at(-1);
  if (lastPick) {
    const when = await consoleRun(`ask when did you last pick up the ${lastPick.object}?`);
    const stamp = /stamp=(\d+)/.exec(when.join("\n"));
    if (!stamp || Number(stamp[1]) !== lastPick.header.stamp.sec) failures.push(`ask gave the wrong time for the last ${lastPick.object} pick`);
  }
  if (failedPick) {
    const why = await consoleRun(`ask why couldn't you pick up the ${failedPick.object}?`);
    if (!why.some((l) => l.includes("entity="))) failures.push("ask gave no reason for a failed pick");
  }
  const unknown = await consoleRun("ask where did you put the umbrella?");
  if (!unknown.some((l) => l.includes("abstained"))) failures.push("ask did not abstain on something it never saw");
  await consoleRun("remember the spare charger is in the lab, second drawer");
  await consoleRun("recall where is the spare charger?");

  const first = await consoleRun("chat What did you do today?");
  if (!first.some((l) => l.startsWith("assistant:"))) failures.push("chat gave no reply");
  await consoleRun("set dialogue persona.formal 0.9");
  await consoleRun("set dialogue persona.warmth 0.3");
  const second = await consoleRun("chat What did you do today?");
  const replyOf = (lines: string[]) => lines.find((l) => l.startsWith("assistant:"));
  if (!replyOf(second)) failures.push("chat after a parameter change gave no reply");
  else if (replyOf(second) === replyOf(first)) failures.push("the reply did not change after the persona parameters changed");
  const rejected = await consoleRun("set dialogue persona.warmth 1.5");
  if (!rejected.some((l) => l.startsWith("Setting parameter failed"))) failures.push("an out-of-range parameter was not rejected");
  await consoleRun("chat can you explain how a qubit works?");

  const takes = await consoleRun("panel 3 I keep putting off my homework and worry that I will fail");
  if (takes.filter((l) => /^ {2}\[\w+\] /.test(l)).length !== 3) failures.push("the panel did not give 3 takes");

  if (options.powerMode) {
    // The simulated battery drains below the threshold, then the robot docks and charges.
    const waitForMode = async (mode: string) => {
      const until = Date.now() + 60_000;
      while (options.powerMode!() !== mode && Date.now() < until) await sleep(50);
      return options.powerMode!() === mode;
    };
    if (!(await waitForMode("reduce"))) failures.push("the power mode never changed to reduce on a low battery");
    const reduced = await consoleRun("chat What did you do today?");
    if (!reduced.some((l) => l.includes("power reduce"))) failures.push("a chat on a low battery was not reduced");
    if (!(await waitForMode("full"))) failures.push("the power mode did not return to full on the charger");
  }

  const exported = await consoleRun("export mcap");
  if (!exported.some((l) => l.startsWith("exported"))) failures.push("MCAP export failed");
  await consoleRun("diag");

  print("");
  if (failures.length > 0) {
    print(`demo: FAILED: ${failures.join("; ")}`);
    return false;
  }
  print(`demo: OK: ${ends.length} actions flowed robot -> action_log -> memory -> dialogue`);
  return true;
}
