import { describe, expect, it } from "vitest";
import { createSensorMsgsBatteryState, SensorMsgsBatteryStateConstants as Status, type SensorMsgsBatteryState } from "../src/core/interfaces/messages.generated.js";
import { BackgroundWorkGate } from "../src/core/power/BackgroundWorkGate.js";
import { decidePowerMode } from "../src/core/power/decidePowerMode.js";
import { PowerMonitor } from "../src/core/power/PowerMonitor.js";
import { readBatteryState } from "../src/core/power/readBatteryState.js";
import { SystemLoadSampler } from "../src/core/power/SystemLoadSampler.js";
import { limitAdapters, turnBudget } from "../src/core/power/turnBudget.js";
import { DEFAULT_POWER_POLICY, type PowerDecision, type PowerPolicy } from "../src/core/power/types.js";
import { SimulatedBattery } from "../src/core/sim/SimulatedBattery.js";

function battery(percentage: number, status: number = Status.POWER_SUPPLY_STATUS_DISCHARGING, extra: Partial<SensorMsgsBatteryState> = {}): SensorMsgsBatteryState {
  return { ...createSensorMsgsBatteryState(), present: true, percentage, power_supply_status: status, charge: Number.NaN, capacity: Number.NaN, current: Number.NaN, ...extra };
}

function monitor(policy: Partial<PowerPolicy> = {}, batteryConfigured = true) {
  const changes: Array<{ to: PowerDecision; from: PowerDecision }> = [];
  let current: PowerPolicy = { ...DEFAULT_POWER_POLICY, ...policy };
  const m = new PowerMonitor({ policy: () => current, batteryConfigured, onChange: (to, from) => void changes.push({ to, from }) });
  return { m, changes, setPolicy: (p: Partial<PowerPolicy>) => (current = { ...current, ...p }) };
}

describe("battery readings", () => {
  it("reads percentage (0..1) and the supply status; NaN percentage falls back to charge/capacity", () => {
    const r = readBatteryState(battery(0.42), 5);
    expect(r).toEqual({ ok: true, sample: { percent: 42, source: "battery", atMs: 5 } });
    const charging = readBatteryState(battery(0.1, Status.POWER_SUPPLY_STATUS_CHARGING), 0);
    expect(charging.ok && charging.sample.source).toBe("charging");
    const fromCharge = readBatteryState(battery(Number.NaN, Status.POWER_SUPPLY_STATUS_DISCHARGING, { charge: 5, capacity: 20 }), 0);
    expect(fromCharge.ok && fromCharge.sample.percent).toBe(25);
    // Unknown status: a positive current means charging, otherwise the battery (the safe side).
    const unknown = readBatteryState(battery(0.5, Status.POWER_SUPPLY_STATUS_UNKNOWN, { current: 2 }), 0);
    expect(unknown.ok && unknown.sample.source).toBe("charging");
    expect(readBatteryState({ ...battery(Number.NaN), present: false }, 0)).toMatchObject({ ok: true, sample: { source: "mains" } });
  });

  it("ignores NaN, out-of-range and unknown-status readings and counts each kind; the last valid reading stays", () => {
    const { m } = monitor();
    expect(m.acceptBattery(battery(0.8), 1)).toBe(true);
    expect(m.acceptBattery(battery(Number.NaN), 2)).toBe(false);
    expect(m.acceptBattery(battery(45), 3)).toBe(false); // a driver sending 0..100
    expect(m.acceptBattery(battery(-0.1), 4)).toBe(false);
    expect(m.acceptBattery(battery(Number.POSITIVE_INFINITY), 5)).toBe(false);
    expect(m.acceptBattery(battery(0.5, 9), 6)).toBe(false);
    expect(m.counters.ignored).toEqual({ nan: 1, out_of_range: 3, unknown_status: 1 });
    expect(m.ignoredReadings).toBe(5);
    expect(m.counters.batteryReadings).toBe(1);
    expect(m.lastProblem).toMatch(/power_supply_status 9/);
    expect(m.lastBattery?.percent).toBe(80);
    expect(m.decision.mode).toBe("full");
  });
});

describe("power policy", () => {
  it("below the threshold on battery applies on_battery_behavior: reduce, pause or ignore", () => {
    const low = { batteryConfigured: true, battery: { percent: 25, source: "battery" as const, atMs: 0 } };
    expect(decidePowerMode({ ...DEFAULT_POWER_POLICY, onBatteryBehavior: "reduce" }, low).decision).toMatchObject({ mode: "reduce", reason: "battery 25% < 30%, discharging", backgroundAllowed: false });
    expect(decidePowerMode({ ...DEFAULT_POWER_POLICY, onBatteryBehavior: "pause" }, low).decision.mode).toBe("pause");
    expect(decidePowerMode({ ...DEFAULT_POWER_POLICY, onBatteryBehavior: "ignore" }, low).decision.mode).toBe("full");
    // Above the threshold on battery: full replies, but background work still waits for power.
    expect(decidePowerMode(DEFAULT_POWER_POLICY, { ...low, battery: { ...low.battery, percent: 60 } }).decision).toMatchObject({ mode: "full", backgroundAllowed: false });
    // On the charger even a low battery restricts nothing.
    expect(decidePowerMode(DEFAULT_POWER_POLICY, { ...low, battery: { ...low.battery, source: "charging" } }).decision).toMatchObject({ mode: "full", reason: "charging at 25%", backgroundAllowed: true });
    // No battery topic: mains.
    expect(decidePowerMode(DEFAULT_POWER_POLICY, { batteryConfigured: false }).decision).toMatchObject({ mode: "full", backgroundAllowed: true });
    // Configured but nothing read yet: replies as usual, background work waits.
    expect(decidePowerMode(DEFAULT_POWER_POLICY, { batteryConfigured: true }).decision).toMatchObject({ mode: "full", backgroundAllowed: false });
  });

  it("high CPU or memory reduces (pause stays the stricter), with hysteresis before it lifts", () => {
    const policy = { ...DEFAULT_POWER_POLICY, maxCpuPercent: 80, maxMemoryPercent: 90 };
    const hot = decidePowerMode(policy, { batteryConfigured: false, load: { cpuPercent: 93, memoryPercent: 50 } });
    expect(hot.decision).toMatchObject({ mode: "reduce", reason: "mains power (no battery topic); cpu 93% > 80%", backgroundAllowed: false });
    const hovering = decidePowerMode(policy, { batteryConfigured: false, load: { cpuPercent: 78, memoryPercent: 50 } }, hot.latches);
    expect(hovering.decision.mode).toBe("reduce");
    expect(hovering.decision.reason).toMatch(/cpu 78%, not yet below 75%/);
    expect(decidePowerMode(policy, { batteryConfigured: false, load: { cpuPercent: 74, memoryPercent: 50 } }, hovering.latches).decision.mode).toBe("full");
    const both = decidePowerMode({ ...policy, onBatteryBehavior: "pause" }, { batteryConfigured: true, battery: { percent: 10, source: "battery", atMs: 0 }, load: { cpuPercent: 99, memoryPercent: 95 } });
    expect(both.decision.mode).toBe("pause");
    expect(both.decision.reason).toMatch(/battery 10% < 30%.*cpu 99% > 80%, memory 95% > 90%/);
  });

  it("reports each change of mode once, not on every reading, and a policy set at run time applies at the next evaluation", () => {
    const { m, changes, setPolicy } = monitor();
    for (const p of [0.5, 0.4, 0.31, 0.29, 0.28, 0.3, 0.31, 0.315, 0.33, 0.34]) m.acceptBattery(battery(p), 0);
    expect(changes.map((c) => `${c.from.mode}->${c.to.mode}`)).toEqual(["full->reduce", "reduce->full"]);
    expect(m.counters.modeChanges).toBe(2);
    setPolicy({ batteryThreshold: 50 });
    expect(m.evaluate().mode).toBe("reduce");
    setPolicy({ onBatteryBehavior: "pause" });
    expect(m.evaluate().mode).toBe("pause");
    expect(changes).toHaveLength(4);
  });
});

describe("turn budget in each mode", () => {
  const adapters = [
    { name: "expertise.teaching", filePath: "t", scale: 0.4 },
    { name: "persona.encouragement", filePath: "e", scale: 0.8 },
    { name: "persona.warmth", filePath: "w", scale: -0.7 },
  ];
  it("reduce shortens the reply, drops routing and keeps the strongest adapters; pause is model-free", () => {
    expect(turnBudget("full", { maxTokens: 55, routing: true })).toEqual({ maxTokens: 55, routing: true, modelFree: false });
    expect(turnBudget("reduce", { maxTokens: 55, routing: true }, { maxTokens: 20, maxAdapters: 1 })).toEqual({ maxTokens: 20, routing: false, maxAdapters: 1, modelFree: false });
    expect(turnBudget("reduce", { maxTokens: 10, routing: true }, { maxTokens: 20, maxAdapters: 1 }).maxTokens).toBe(10);
    expect(turnBudget("pause", { maxTokens: 55, routing: true }).modelFree).toBe(true);
    expect(limitAdapters(adapters, 2).adapters.map((a) => a.name)).toEqual(["persona.encouragement", "persona.warmth"]);
    expect(limitAdapters(adapters, undefined).adapters).toHaveLength(3);
  });
  it("keeps the whole blend when the bake hook finds a baked model for it", () => {
    const seen: string[][] = [];
    const result = limitAdapters(adapters, 1, (a) => {
      seen.push(a.map((x) => x.name));
      return "bakes/teaching-warm.gguf";
    });
    expect(result).toEqual({ adapters, bake: "bakes/teaching-warm.gguf" });
    expect(seen).toEqual([adapters.map((a) => a.name)]);
    expect(limitAdapters(adapters, 1, () => undefined).adapters.map((a) => a.name)).toEqual(["persona.encouragement"]);
  });
});

describe("background work gate", () => {
  it("a bake submitted on battery waits and starts when the robot is on the charger; jobs run one at a time", async () => {
    const m2: PowerMonitor = new PowerMonitor({ policy: () => DEFAULT_POWER_POLICY, batteryConfigured: true, onChange: () => gate.update() });
    const gate = new BackgroundWorkGate(() => ({ open: m2.decision.backgroundAllowed, reason: m2.decision.reason }));
    m2.acceptBattery(battery(0.6), 0);
    expect(gate.check()).toEqual({ open: false, reason: "battery 60%, discharging" });
    const log: string[] = [];
    let finishFirst!: () => void;
    const first = gate.submit({ name: "bake teaching-warm", run: async () => { log.push("bake started"); await new Promise<void>((r) => (finishFirst = r)); return "baked.gguf"; } });
    const second = gate.submit({ name: "export", run: async () => { log.push("export started"); return 7; } });
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    expect(gate.pending).toEqual(["bake teaching-warm", "export"]);
    m2.acceptBattery(battery(0.2, Status.POWER_SUPPLY_STATUS_CHARGING), 1);
    expect(log).toEqual(["bake started"]);
    expect(gate.runningJob).toBe("bake teaching-warm");
    finishFirst();
    expect(await first).toBe("baked.gguf");
    expect(await second).toBe(7);
    expect(log).toEqual(["bake started", "export started"]);
    expect(gate.counters).toMatchObject({ started: 2, deferred: 2, finished: 2, failed: 0 });
  });

  it("closing the gate aborts the running job's signal; a failed job does not block the next", async () => {
    let state = { open: true, reason: "mains power" };
    const gate = new BackgroundWorkGate(() => state);
    let signal!: AbortSignal;
    let release!: () => void;
    const running = gate.submit({ name: "train", run: async (s) => { signal = s; await new Promise<void>((r) => (release = r)); if (s.aborted) throw new Error("stopped at a safe point"); } });
    state = { open: false, reason: "battery 50%, discharging" };
    gate.update();
    expect(signal.aborted).toBe(true);
    release();
    await expect(running).rejects.toThrow(/safe point/);
    state = { open: true, reason: "charging at 50%" };
    gate.update();
    await expect(gate.submit({ name: "ok", run: async () => "done" })).resolves.toBe("done");
    expect(gate.counters.failed).toBe(1);
  });
});

describe("system load", () => {
  it("CPU is the other processes' busy share between samples, memory the share in use, GPU from the Jetson sysfs file or absent", () => {
    let t = { user: 100, nice: 0, sys: 0, irq: 0, idle: 100 };
    let own = 0;
    const files: Record<string, string> = {};
    const sampler = new SystemLoadSampler({
      cpus: () => [{ times: t }, { times: t }],
      memory: () => ({ total: 1000, free: 250 }),
      readFile: (p) => files[p],
      gpuLoadFiles: ["/sys/devices/gpu.0/load"],
      ownCpuMs: () => own,
    });
    t = { user: 175, nice: 0, sys: 0, irq: 0, idle: 125 }; // +75 busy, +25 idle per core
    own = 50; // this process used 50 of the 150 busy ms: others 100 of 200
    expect(sampler.sample()).toEqual({ cpuPercent: 50, memoryPercent: 75 });
    files["/sys/devices/gpu.0/load"] = "420\n";
    const jetson = new SystemLoadSampler({ cpus: () => [{ times: t }], memory: () => ({ total: 1, free: 1 }), readFile: (p) => files[p], gpuLoadFiles: ["/nope", "/sys/devices/gpu.0/load"] });
    expect(jetson.sample().gpuPercent).toBe(42);
  });
  it("samples this machine without throwing", () => {
    const s = new SystemLoadSampler().sample();
    expect(s.memoryPercent).toBeGreaterThan(0);
    expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
  });
});

describe("simulated battery", () => {
  it("drains over the working day, docks at 20%, charges to 95% and goes back to work", () => {
    const b = new SimulatedBattery();
    const hour = 3_600_000;
    b.advanceTo(5 * hour);
    expect(b.percent).toBeCloseTo(40, 6);
    expect(b.message(0)).toMatchObject({ percentage: expect.closeTo(0.4, 6), power_supply_status: Status.POWER_SUPPLY_STATUS_DISCHARGING, present: true });
    expect(b.message(0).current).toBeLessThan(0);
    b.advanceTo(8 * hour); // docked at 6h40 (20%), then 1h20 charging at 40%/h
    expect(b.charging).toBe(true);
    expect(b.dockings).toBe(1);
    expect(b.percent).toBeCloseTo(20 + (4 / 3) * 40, 6);
    expect(b.message(0).power_supply_status).toBe(Status.POWER_SUPPLY_STATUS_CHARGING);
    b.advanceTo(9 * hour); // full (95%) at 8h32.5, working again
    expect(b.charging).toBe(false);
    // One long step lands where many small ones do.
    const stepped = new SimulatedBattery();
    for (let t = 0; t <= 9 * hour; t += 60_000) stepped.advanceTo(t);
    expect(stepped.percent).toBeCloseTo(b.percent, 6);
  });
  it("drives the power monitor through reduce and back, on the charger", () => {
    const b = new SimulatedBattery({ startPercent: 40 });
    const { m, changes } = monitor();
    for (let minute = 0; minute <= 240; minute += 5) {
      b.advanceTo(minute * 60_000);
      m.acceptBattery(b.message(minute * 60_000), minute * 60_000);
    }
    const modeChanges = changes.filter((c) => c.to.mode !== c.from.mode);
    expect(modeChanges.map((c) => c.to.mode)).toEqual(["reduce", "full"]);
    expect(modeChanges[1]!.to.reason).toMatch(/^charging at/);
    // Background work: closed on battery, open on the dock, closed again when the robot leaves it.
    expect(changes.map((c) => c.to.backgroundAllowed)).toEqual([false, true, false]);
  });
});

describe("console panel command", () => {
  it("parses panel [N] <problem>, 3 takes by default", async () => {
    const { parseCommand } = await import("../src/cli/console/parseCommand.js");
    expect(parseCommand("panel 2 I keep putting off my homework")).toEqual({ kind: "panel", text: "I keep putting off my homework", perspectives: 2 });
    expect(parseCommand("panel my career is stuck")).toEqual({ kind: "panel", text: "my career is stuck", perspectives: 3 });
    expect(parseCommand("panel 2")).toMatchObject({ kind: "error" });
  });
});
