/**
 * Child process of `npm run bench:actionlog`'s crash runs: runs the action_log node
 * on an in-process graph over the given database, publishes a stream of action
 * events into it, and prints the id of every outcome the node publishes (which
 * happens only after its commit) as `O robot_id/action_id`, one per line.
 * The parent kills it with SIGKILL at a random moment and checks the database.
 *
 * Usage: node --import tsx bench/actionlogCrashWorker.ts DB_PATH RUN_INDEX
 */
import { startActionLogNode } from "../src/nodes/action_log.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { eventStream } from "./actionlogEvents.js";

const [dbPath, runArg] = process.argv.slice(2);
if (!dbPath || runArg === undefined) {
  console.error("usage: actionlogCrashWorker.ts DB_PATH RUN_INDEX");
  process.exit(2);
}
const run = Number(runArg);
// The parent stopped reading (it is about to kill us, or was interrupted): nothing left to report.
process.stdout.on("error", () => process.exit(0));
const graph = new InProcessGraph({ logLevel: "silent" });
const started = await startActionLogNode(graph, { parameterOverrides: { db_path: dbPath, durability: "full", batch_max_events: 200, batch_max_ms: 10, action_timeout_s: 1 } });
const robot = graph.createNode("crash_robot");
robot.createSubscription("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", (o) => {
  process.stdout.write(`O ${o.robot_id}/${o.action_id}\n`);
}, 100_000);
const publisher = robot.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 1000);
// Each run has its own robots' action ids, so outcomes of every run accumulate in one database.
// Actions left open by a kill are recovered by the next run and, as their robots never come
// back, time out there (action_timeout_s 1 s of node time since they were last heard of: start-up
// alone takes that long). The tick below closes them before new events flow, so the replay
// low-water mark moves on and replays stay short however many runs came before.
started.log.tick();
started.log.flush();
process.stdout.write(`READY replayed=${started.log.counters.replayed} open=${started.log.snapshot().openActions}\n`);
// About 10,000 events/s in bursts of 100: commits go on all the time, and the database grows by
// only a few thousand events per run, so the parent's integrity_check stays quick over 20+ runs.
for (const burst of eventStream({ robots: 4, actionsPerRobot: 1_000_000, seed: 1000 + run, prefix: `run${run}-`, burst: 100 })) {
  for (const event of burst) publisher.publish(event);
  await new Promise((r) => setTimeout(r, 10));
}
